namespace Pfs.Fuse;

/// <summary>
/// The capability flags of FUSE_INIT (<c>FUSE_*</c> in <c>include/uapi/linux/fuse.h</c>); bits 32 and up
/// travel in the <c>flags2</c> field. The kernel offers a set, the file system answers with the
/// ones it wants among them.
/// </summary>
[Flags]
public enum FuseInitFlags : ulong
{
    /// <summary>No flags.</summary>
    None = 0,
    /// <summary>FUSE_ASYNC_READ: several READs of one file may be in flight (readahead).</summary>
    AsyncRead = 1UL << 0,
    /// <summary>FUSE_POSIX_LOCKS: the file system implements POSIX locks.</summary>
    PosixLocks = 1UL << 1,
    /// <summary>FUSE_FILE_OPS.</summary>
    FileOps = 1UL << 2,
    /// <summary>FUSE_ATOMIC_O_TRUNC: O_TRUNC reaches OPEN instead of a separate SETATTR.</summary>
    AtomicOTrunc = 1UL << 3,
    /// <summary>FUSE_EXPORT_SUPPORT: the file system handles lookups of "." and "..".</summary>
    ExportSupport = 1UL << 4,
    /// <summary>FUSE_BIG_WRITES: writes larger than a page.</summary>
    BigWrites = 1UL << 5,
    /// <summary>FUSE_DONT_MASK: the kernel does not apply the umask to create modes.</summary>
    DontMask = 1UL << 6,
    /// <summary>FUSE_SPLICE_WRITE.</summary>
    SpliceWrite = 1UL << 7,
    /// <summary>FUSE_SPLICE_MOVE.</summary>
    SpliceMove = 1UL << 8,
    /// <summary>FUSE_SPLICE_READ.</summary>
    SpliceRead = 1UL << 9,
    /// <summary>FUSE_FLOCK_LOCKS: the file system implements BSD flock.</summary>
    FlockLocks = 1UL << 10,
    /// <summary>FUSE_HAS_IOCTL_DIR.</summary>
    HasIoctlDir = 1UL << 11,
    /// <summary>FUSE_AUTO_INVAL_DATA: the kernel drops cached pages when it sees mtime or size change.</summary>
    AutoInvalData = 1UL << 12,
    /// <summary>FUSE_DO_READDIRPLUS: READDIRPLUS instead of READDIR.</summary>
    DoReadDirPlus = 1UL << 13,
    /// <summary>FUSE_READDIRPLUS_AUTO: the kernel chooses between READDIR and READDIRPLUS.</summary>
    ReadDirPlusAuto = 1UL << 14,
    /// <summary>FUSE_ASYNC_DIO.</summary>
    AsyncDio = 1UL << 15,
    /// <summary>FUSE_WRITEBACK_CACHE: buffered writes are cached by the kernel and written back later.</summary>
    WritebackCache = 1UL << 16,
    /// <summary>FUSE_NO_OPEN_SUPPORT (kernel capability).</summary>
    NoOpenSupport = 1UL << 17,
    /// <summary>FUSE_PARALLEL_DIROPS: lookups and readdir in one directory may run in parallel.</summary>
    ParallelDirOps = 1UL << 18,
    /// <summary>FUSE_HANDLE_KILLPRIV.</summary>
    HandleKillPriv = 1UL << 19,
    /// <summary>FUSE_POSIX_ACL.</summary>
    PosixAcl = 1UL << 20,
    /// <summary>FUSE_ABORT_ERROR.</summary>
    AbortError = 1UL << 21,
    /// <summary>FUSE_MAX_PAGES: init_out.max_pages sets the pages per request.</summary>
    MaxPages = 1UL << 22,
    /// <summary>FUSE_CACHE_SYMLINKS: the kernel caches READLINK answers.</summary>
    CacheSymlinks = 1UL << 23,
    /// <summary>FUSE_NO_OPENDIR_SUPPORT (kernel capability).</summary>
    NoOpenDirSupport = 1UL << 24,
    /// <summary>FUSE_EXPLICIT_INVAL_DATA: cached pages are dropped only on explicit notification.</summary>
    ExplicitInvalData = 1UL << 25,
    /// <summary>FUSE_MAP_ALIGNMENT.</summary>
    MapAlignment = 1UL << 26,
    /// <summary>FUSE_SUBMOUNTS.</summary>
    Submounts = 1UL << 27,
    /// <summary>FUSE_HANDLE_KILLPRIV_V2.</summary>
    HandleKillPrivV2 = 1UL << 28,
    /// <summary>FUSE_SETXATTR_EXT.</summary>
    SetXattrExt = 1UL << 29,
    /// <summary>FUSE_INIT_EXT: the flags2 field is in use.</summary>
    InitExt = 1UL << 30,
    /// <summary>FUSE_INIT_RESERVED.</summary>
    InitReserved = 1UL << 31,
    /// <summary>FUSE_SECURITY_CTX.</summary>
    SecurityContext = 1UL << 32,
    /// <summary>FUSE_HAS_INODE_DAX.</summary>
    HasInodeDax = 1UL << 33,
    /// <summary>FUSE_CREATE_SUPP_GROUP.</summary>
    CreateSuppGroup = 1UL << 34,
    /// <summary>FUSE_HAS_EXPIRE_ONLY (kernel capability).</summary>
    HasExpireOnly = 1UL << 35,
    /// <summary>FUSE_DIRECT_IO_ALLOW_MMAP: shared mmap of FOPEN_DIRECT_IO files.</summary>
    DirectIoAllowMmap = 1UL << 36,
    /// <summary>FUSE_PASSTHROUGH.</summary>
    Passthrough = 1UL << 37,
    /// <summary>FUSE_NO_EXPORT_SUPPORT.</summary>
    NoExportSupport = 1UL << 38,
    /// <summary>FUSE_HAS_RESEND (kernel capability).</summary>
    HasResend = 1UL << 39,
    /// <summary>FUSE_ALLOW_IDMAP.</summary>
    AllowIdmap = 1UL << 40,
    /// <summary>FUSE_OVER_IO_URING.</summary>
    OverIoUring = 1UL << 41,
    /// <summary>FUSE_REQUEST_TIMEOUT.</summary>
    RequestTimeout = 1UL << 42,
}
