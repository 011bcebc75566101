namespace Pfs.Fuse;

/// <summary>How a <see cref="FuseFileSystem"/> is mounted and what it negotiates with the kernel.</summary>
public sealed record FuseMountOptions
{
    /// <summary>The largest READ or WRITE request, in bytes (max_write, max_read and max_pages follow from it). 1 MiB by default, so a 1 MiB write is one request.</summary>
    public int MaxWrite { get; init; } = 1 << 20;

    /// <summary>The readahead window, in bytes: asked for in INIT (which can only lower the kernel's 128 KiB default) and, as root, set on the mount's /sys/class/bdi entry.</summary>
    public int MaxReadahead { get; init; } = 1 << 20;

    /// <summary>The number of threads reading /dev/fuse; each holds one request buffer of <see cref="MaxWrite"/> plus headers.</summary>
    public int ReaderThreads { get; init; } = Math.Clamp(Environment.ProcessorCount, 2, 8);

    /// <summary>The source shown in /proc/mounts and by df.</summary>
    public string FsName { get; init; } = "fuse";

    /// <summary>The subtype: the file system type is <c>fuse.&lt;Subtype&gt;</c>.</summary>
    public string Subtype { get; init; } = "fuse";

    /// <summary>Let users other than the mounting one use the mount (allow_other).</summary>
    public bool AllowOther { get; init; }

    /// <summary>Mount read-only (MS_RDONLY, "ro"): the kernel answers every change with EROFS before it reaches the file system.</summary>
    public bool ReadOnly { get; init; }

    /// <summary>Let the kernel check permissions from the mode bits (default_permissions) instead of the file system.</summary>
    public bool DefaultPermissions { get; init; } = true;

    /// <summary>FUSE_ASYNC_READ: several READs (readahead) of one file in flight at once.</summary>
    public bool AsyncRead { get; init; } = true;

    /// <summary>FUSE_PARALLEL_DIROPS: lookups and readdir in one directory in parallel.</summary>
    public bool ParallelDirOps { get; init; } = true;

    /// <summary>FUSE_ATOMIC_O_TRUNC: O_TRUNC arrives with OPEN (the handler must truncate) instead of as a separate SETATTR.</summary>
    public bool AtomicOTrunc { get; init; } = true;

    /// <summary>FUSE_DO_READDIRPLUS: directory listings come as READDIRPLUS, with the attributes of every entry.</summary>
    public bool ReadDirPlus { get; init; }

    /// <summary>FUSE_WRITEBACK_CACHE: the kernel caches buffered writes and sends them later. Off by default.</summary>
    public bool WritebackCache { get; init; }

    /// <summary>FUSE_CACHE_SYMLINKS: the kernel caches READLINK answers.</summary>
    public bool CacheSymlinks { get; init; }

    /// <summary>When the kernel drops cached file pages.</summary>
    public FuseDataInvalidation DataInvalidation { get; init; } = FuseDataInvalidation.Explicit;

    /// <summary>Any further INIT flags to ask for; granted only where the kernel offers them.</summary>
    public FuseInitFlags AdditionalFlags { get; init; }

    /// <summary>The most background requests (readahead, writeback) the kernel keeps in flight.</summary>
    public ushort MaxBackground { get; init; } = 64;

    /// <summary>The background requests at which the kernel considers the mount congested.</summary>
    public ushort CongestionThreshold { get; init; } = 48;

    /// <summary>How to mount: mount(2) as root, fusermount3 otherwise (<see cref="FuseMountMethod.Auto"/>).</summary>
    public FuseMountMethod Method { get; init; } = FuseMountMethod.Auto;

    /// <summary>How long <see cref="FuseMount.DisposeAsync"/> waits for the kernel to end the session after unmounting.</summary>
    public TimeSpan UnmountTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The FUSE device; only tests change it.</summary>
    internal string DevicePath { get; init; } = "/dev/fuse";

    /// <summary>Checks the options, with one line per problem.</summary>
    internal void Validate()
    {
        if (MaxWrite < 4096 || MaxWrite > 16 << 20 || MaxWrite % 4096 != 0)
            throw new ArgumentOutOfRangeException(nameof(MaxWrite), MaxWrite, "MaxWrite must be a multiple of 4096 between 4 KiB and 16 MiB.");
        if (MaxReadahead < 0)
            throw new ArgumentOutOfRangeException(nameof(MaxReadahead), MaxReadahead, "MaxReadahead must not be negative.");
        if (ReaderThreads < 1 || ReaderThreads > 64)
            throw new ArgumentOutOfRangeException(nameof(ReaderThreads), ReaderThreads, "ReaderThreads must be between 1 and 64.");
        if (string.IsNullOrWhiteSpace(Subtype) || Subtype.AsSpan().IndexOfAny(", =") >= 0)
            throw new ArgumentException("Subtype must be a non-empty word without commas, spaces or '='.", nameof(Subtype));
        if (string.IsNullOrWhiteSpace(FsName) || FsName.Contains(','))
            throw new ArgumentException("FsName must be non-empty and without commas.", nameof(FsName));
    }
}

/// <summary>When the kernel drops the cached pages of a file.</summary>
public enum FuseDataInvalidation
{
    /// <summary>The kernel's default: on every open without <see cref="FuseOpenFlags.KeepCache"/>, and the tail on a size change.</summary>
    KernelDefault,
    /// <summary>FUSE_AUTO_INVAL_DATA: also whenever fresh attributes show a changed mtime or size.</summary>
    Auto,
    /// <summary>FUSE_EXPLICIT_INVAL_DATA: only on <see cref="FuseMount.NotifyInvalidateInode"/> (and opens without <see cref="FuseOpenFlags.KeepCache"/>).</summary>
    Explicit,
}

/// <summary>How the mount is made.</summary>
public enum FuseMountMethod
{
    /// <summary>mount(2) when running as root, fusermount3 otherwise.</summary>
    Auto,
    /// <summary>mount(2) on an open /dev/fuse (needs CAP_SYS_ADMIN).</summary>
    Direct,
    /// <summary>The setuid helper fusermount3, which passes the device back over a socket.</summary>
    Fusermount,
}
