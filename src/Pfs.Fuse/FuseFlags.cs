namespace Pfs.Fuse;

/// <summary>RENAME_* flags of renameat2(2) carried by FUSE_RENAME2.</summary>
[Flags]
public enum FuseRenameFlags : uint
{
    /// <summary>An ordinary rename that replaces the target.</summary>
    None = 0,
    /// <summary>RENAME_NOREPLACE: fail with EEXIST if the target exists.</summary>
    NoReplace = 1 << 0,
    /// <summary>RENAME_EXCHANGE: swap source and target atomically (EINVAL if unsupported).</summary>
    Exchange = 1 << 1,
    /// <summary>RENAME_WHITEOUT: leave a whiteout behind (overlay file systems; EINVAL if unsupported).</summary>
    Whiteout = 1 << 2,
}

/// <summary>FUSE_WRITE_* flags of a WRITE.</summary>
[Flags]
public enum FuseWriteFlags : uint
{
    /// <summary>An ordinary write from a process.</summary>
    None = 0,
    /// <summary>FUSE_WRITE_CACHE: delayed write from the page cache (writeback or shared mmap); the handle is the kernel's guess of a writable open file.</summary>
    Cache = 1 << 0,
    /// <summary>FUSE_WRITE_LOCKOWNER: the lock owner field is valid.</summary>
    LockOwner = 1 << 1,
    /// <summary>FUSE_WRITE_KILL_SUIDGID: clear the setuid and setgid bits.</summary>
    KillSuidGid = 1 << 2,
}
