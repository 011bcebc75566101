using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Pfs.Fuse.Native;
using Pfs.Fuse.Session;

namespace Pfs.Fuse;

/// <summary>
/// A mounted <see cref="FuseFileSystem"/>: the mount, the session serving it, and the
/// notifications the file system sends the kernel. Dispose to unmount.
/// </summary>
public sealed class FuseMount : IAsyncDisposable
{
    private static readonly TimeSpan InitTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan AbortTimeout = TimeSpan.FromSeconds(5);

    private readonly FuseSession _session;
    private readonly FuseMountOptions _options;
    private readonly FuseMountMethod _method;
    private readonly ILogger _logger;
    private readonly int? _connection;
    private int _unmounting;

    private FuseMount(string mountPoint, FuseSession session, FuseMountOptions options, FuseMountMethod method, ILogger logger, int? connection)
    {
        MountPoint = mountPoint;
        _session = session;
        _options = options;
        _method = method;
        _logger = logger;
        _connection = connection;
    }

    /// <summary>The absolute mountpoint.</summary>
    public string MountPoint { get; }

    /// <summary>What INIT settled with the kernel.</summary>
    public FuseKernelInfo Kernel => _session.Kernel!;

    /// <summary>
    /// Completes when the session is over: after <see cref="DisposeAsync"/>, or when someone else
    /// unmounted it (<c>umount</c>, <c>fusermount3 -u</c>) and the last handler finished. Faults if
    /// reading the device failed.
    /// </summary>
    public Task Completion => _session.Completion;

    /// <summary>
    /// The checks <see cref="MountAsync"/> makes of a mountpoint, for a caller that wants them before slower
    /// work (connecting to a cluster): a missing, non-directory, non-empty or dead (crashed FUSE) mountpoint
    /// is a one-line <see cref="FuseMountException"/>. Returns its full path.
    /// </summary>
    public static string CheckMountPoint(string mountPoint) => Native.MountPoint.Check(mountPoint);

    /// <summary>
    /// Mounts <paramref name="fileSystem"/> at <paramref name="mountPoint"/> and serves it until
    /// disposed. Answers once the kernel's INIT is settled. Refuses a missing /dev/fuse and a
    /// missing, non-directory or non-empty mountpoint with a one-line <see cref="FuseMountException"/>.
    /// </summary>
    public static async Task<FuseMount> MountAsync(FuseFileSystem fileSystem, string mountPoint, FuseMountOptions? options = null,
        ILogger? logger = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(fileSystem);
        if (!OperatingSystem.IsLinux())
            throw new PlatformNotSupportedException("FUSE mounts need Linux.");
        options ??= new FuseMountOptions();
        options.Validate();
        logger ??= NullLogger.Instance;

        var path = Native.MountPoint.Check(mountPoint);
        var method = Mounter.Resolve(options.Method);
        var fd = await Mounter.MountAsync(path, options, method, cancellationToken).ConfigureAwait(false);
        var session = new FuseSession(fileSystem, new DeviceChannel(fd), options, logger);
        var mount = new FuseMount(path, session, options, method, logger, Native.MountPoint.FindConnection(path, "fuse." + options.Subtype));
        session.Start();
        try
        {
            await session.Initialized.WaitAsync(InitTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            await mount.DisposeAsync().ConfigureAwait(false);
            if (e is FuseMountException or OperationCanceledException)
                throw;
            throw new FuseMountException($"the kernel did not complete INIT for {path}: {e.Message}", e);
        }
        mount.Readahead = mount.RaiseReadahead();
        Log.Mounted(logger, path, method);
        return mount;
    }

    /// <summary>
    /// The readahead window of the mount in bytes, as /sys/class/bdi shows it, or null where it
    /// cannot be read. INIT can only lower the kernel's default (128 KiB); as root the mount raises
    /// it to <see cref="FuseMountOptions.MaxReadahead"/> so that sequential reads arrive as
    /// requests of up to max_pages.
    /// </summary>
    public long? Readahead { get; private set; }

    private long? RaiseReadahead()
    {
        if (_connection is not { } connection)
            return null;
        var file = $"/sys/class/bdi/0:{connection}/read_ahead_kb";
        try
        {
            if (!File.Exists(file))
                return null;
            var wantedKb = _options.MaxReadahead / 1024;
            if (long.Parse(File.ReadAllText(file).Trim(), CultureInfo.InvariantCulture) < wantedKb)
                File.WriteAllText(file, wantedKb.ToString(CultureInfo.InvariantCulture));
            return long.Parse(File.ReadAllText(file).Trim(), CultureInfo.InvariantCulture) * 1024;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
        {
            // Not root: the kernel's default window stays.
            return null;
        }
    }

    /// <summary>
    /// FUSE_NOTIFY_INVAL_INODE: drop the kernel's cached attributes of the node and its cached
    /// pages in [<paramref name="offset"/>, <paramref name="offset"/> + <paramref name="length"/>)
    /// (length 0 means to the end of the file; a negative offset drops the attributes only).
    /// Callable from any thread, but not from a handler of a request on the same node (the kernel
    /// may hold the pages it would drop). Answers false when the kernel does not hold the node or
    /// the session is over.
    /// </summary>
    public bool NotifyInvalidateInode(ulong nodeId, long offset, long length) =>
        Accept(_session.NotifyInvalidateInode(nodeId, offset, length));

    /// <summary>
    /// FUSE_NOTIFY_INVAL_ENTRY: make the kernel forget <paramref name="name"/> in
    /// <paramref name="parent"/> (so the next access looks it up). Not from a handler of a request
    /// on that directory. Answers false when the kernel does not hold the parent.
    /// </summary>
    public bool NotifyInvalidateEntry(ulong parent, string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return Accept(_session.NotifyInvalidateEntry(parent, name));
    }

    /// <summary>
    /// FUSE_NOTIFY_DELETE: <paramref name="name"/> in <paramref name="parent"/>, which named
    /// <paramref name="child"/>, is gone. Answers false when the kernel does not hold them.
    /// </summary>
    public bool NotifyDelete(ulong parent, ulong child, string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return Accept(_session.NotifyDelete(parent, child, name));
    }

    private static bool Accept(int errno) => errno switch
    {
        0 => true,
        // ENOENT: the kernel holds no such inode or entry, which is no error.
        // ENODEV/EBADF: the session is over, so there is nothing left to invalidate.
        Errno.ENOENT or Errno.ENODEV or Errno.EBADF or Errno.ENOTCONN => false,
        _ => throw new FuseException(errno),
    };

    /// <summary>
    /// Unmounts (lazily: processes still inside keep their open files) and waits for the session
    /// to end. If files stay open past <see cref="FuseMountOptions.UnmountTimeout"/>, the connection
    /// is aborted through /sys/fs/fuse/connections when that is available.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _unmounting, 1) != 0)
        {
            await Wait(Completion, _options.UnmountTimeout + AbortTimeout).ConfigureAwait(false);
            return;
        }
        if (!Completion.IsCompleted)
        {
            var failure = await Mounter.UnmountAsync(MountPoint, _method).ConfigureAwait(false);
            if (failure is not null)
                Log.UnmountFailed(_logger, MountPoint, failure);
        }
        if (await Wait(Completion, _options.UnmountTimeout).ConfigureAwait(false))
            return;
        Log.UnmountSlow(_logger, MountPoint, _options.UnmountTimeout);
        Abort();
        await Wait(Completion, AbortTimeout).ConfigureAwait(false);
    }

    private void Abort()
    {
        if (_connection is not { } connection)
            return;
        var abort = $"/sys/fs/fuse/connections/{connection}/abort";
        try
        {
            if (File.Exists(abort))
                File.WriteAllText(abort, "1");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Log.UnmountFailed(_logger, MountPoint, $"abort through {abort}: {e.Message}");
        }
    }

    /// <summary>Waits for the session, never throwing: answers whether it ended in time.</summary>
    private static async Task<bool> Wait(Task completion, TimeSpan timeout)
    {
        try
        {
            await completion.WaitAsync(timeout).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
        catch (Exception)
        {
            // The session ended with a fault; Completion carries it for the owner.
            return true;
        }
    }
}
