using System.Runtime.InteropServices;

namespace Pfs.Fuse.Protocol;

/// <summary>struct fuse_open_in (OPEN and OPENDIR).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct OpenIn
{
    public uint Flags;
    public uint OpenFlags;
}

/// <summary>struct fuse_create_in (16 bytes), followed by the name.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct CreateIn
{
    public uint Flags;
    public uint Mode;
    public uint Umask;
    public uint OpenFlags;
}

/// <summary>struct fuse_open_out (16 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct OpenOut
{
    public const int WireSize = 16;

    public ulong Fh;
    public uint OpenFlags;
    /// <summary>backing_id since 7.40 (passthrough, which this binding does not negotiate).</summary>
    public int BackingId;
}

/// <summary>struct fuse_release_in (RELEASE and RELEASEDIR).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct ReleaseIn
{
    /// <summary>FUSE_RELEASE_FLOCK_UNLOCK: the open file took flock locks; they go with it (<see cref="LockOwner"/> is theirs).</summary>
    public const uint FlagFlockUnlock = 2;

    public ulong Fh;
    public uint Flags;
    public uint ReleaseFlags;
    public ulong LockOwner;
}

/// <summary>struct fuse_file_lock (24 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct FileLock
{
    public ulong Start;
    public ulong End;
    public uint Type;
    public uint Pid;
}

/// <summary>struct fuse_lk_in (GETLK, SETLK and SETLKW).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct LkIn
{
    /// <summary>FUSE_LK_FLOCK: a BSD flock request, not an fcntl one.</summary>
    public const uint FlagFlock = 1;

    public ulong Fh;
    public ulong Owner;
    public FileLock Lock;
    public uint LkFlags;
    public uint Padding;
}

/// <summary>struct fuse_lk_out.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct LkOut
{
    public FileLock Lock;
}

/// <summary>struct fuse_flush_in.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct FlushIn
{
    public ulong Fh;
    public uint Unused;
    public uint Padding;
    public ulong LockOwner;
}

/// <summary>struct fuse_read_in (40 bytes): READ, READDIR and READDIRPLUS.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct ReadIn
{
    public const int WireSize = 40;

    public ulong Fh;
    public ulong Offset;
    public uint Size;
    public uint ReadFlags;
    public ulong LockOwner;
    public uint Flags;
    public uint Padding;
}

/// <summary>struct fuse_write_in (40 bytes), followed by the data.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct WriteIn
{
    public const int WireSize = 40;

    public ulong Fh;
    public ulong Offset;
    public uint Size;
    public uint WriteFlags;
    public ulong LockOwner;
    public uint Flags;
    public uint Padding;
}

/// <summary>struct fuse_write_out.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct WriteOut
{
    public uint Size;
    public uint Padding;
}

/// <summary>struct fuse_fsync_in (FSYNC and FSYNCDIR).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct FsyncIn
{
    /// <summary>FUSE_FSYNC_FDATASYNC.</summary>
    public const uint FlagDataSync = 1;

    public ulong Fh;
    public uint FsyncFlags;
    public uint Padding;
}

/// <summary>struct fuse_fallocate_in.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct FallocateIn
{
    public ulong Fh;
    public ulong Offset;
    public ulong Length;
    public uint Mode;
    public uint Padding;
}

/// <summary>struct fuse_lseek_in.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct LseekIn
{
    public ulong Fh;
    public ulong Offset;
    public uint Whence;
    public uint Padding;
}

/// <summary>struct fuse_lseek_out.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct LseekOut
{
    public ulong Offset;
}
