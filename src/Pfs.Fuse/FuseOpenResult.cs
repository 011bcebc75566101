namespace Pfs.Fuse;

/// <summary>The answer to OPEN and OPENDIR.</summary>
/// <param name="Handle">The file handle the kernel passes back in every later request on this open file.</param>
/// <param name="Flags">How the kernel should treat the open file (page cache, seeking).</param>
public readonly record struct FuseOpenResult(ulong Handle, FuseOpenFlags Flags = FuseOpenFlags.None);

/// <summary>The answer to CREATE: the new entry and its open file.</summary>
/// <param name="Entry">The created entry (adds one to the lookup count).</param>
/// <param name="Handle">The file handle of the open file.</param>
/// <param name="Flags">How the kernel should treat the open file.</param>
public readonly record struct FuseCreateResult(FuseEntry Entry, ulong Handle, FuseOpenFlags Flags = FuseOpenFlags.None);

/// <summary>FOPEN_* flags of the answer to OPEN, OPENDIR and CREATE.</summary>
[Flags]
public enum FuseOpenFlags : uint
{
    /// <summary>Ordinary cached I/O; the kernel drops the file's page cache on open (unless the data invalidation mode says otherwise).</summary>
    None = 0,
    /// <summary>FOPEN_DIRECT_IO: bypass the page cache for this open file; every read and write reaches the file system.</summary>
    DirectIo = 1 << 0,
    /// <summary>FOPEN_KEEP_CACHE: keep the page cache of the inode on this open.</summary>
    KeepCache = 1 << 1,
    /// <summary>FOPEN_NONSEEKABLE: the file cannot be seeked.</summary>
    NonSeekable = 1 << 2,
    /// <summary>FOPEN_CACHE_DIR: the kernel may cache this directory's listing (OPENDIR).</summary>
    CacheDir = 1 << 3,
    /// <summary>FOPEN_STREAM: a stream without a file position.</summary>
    Stream = 1 << 4,
    /// <summary>FOPEN_NOFLUSH: do not send FLUSH on close.</summary>
    NoFlush = 1 << 5,
    /// <summary>FOPEN_PARALLEL_DIRECT_WRITES: direct writes to the inode may run in parallel.</summary>
    ParallelDirectWrites = 1 << 6,
}
