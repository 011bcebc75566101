using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Pfs.Client;
using Pfs.Fuse;

namespace Pfs.Mount;

/// <summary>
/// A Pfs cluster mounted through FUSE: <see cref="MountAsync"/> connects, mounts and serves;
/// <see cref="Completion"/> ends when someone unmounts it from outside; disposing closes every
/// open file (flushing writers), unmounts and disconnects.
/// </summary>
public sealed class PfsMount : IAsyncDisposable
{
    /// <summary>The name of the <see cref="System.Diagnostics.ActivitySource"/> of the FUSE operations (<c>pfs.fuse.read</c>, ...).</summary>
    public const string ActivitySourceName = "Pfs.Mount";

    private readonly PfsClient _client;
    private readonly PfsFileSystem _fileSystem;
    private readonly FuseMount _mount;
    private int _disposed;

    private PfsMount(PfsClient client, PfsFileSystem fileSystem, FuseMount mount)
    {
        _client = client;
        _fileSystem = fileSystem;
        _mount = mount;
    }

    /// <summary>The absolute mountpoint.</summary>
    public string MountPoint => _mount.MountPoint;

    /// <summary>Completes when the FUSE session is over (an outside <c>umount</c>, or <see cref="DisposeAsync"/>).</summary>
    public Task Completion => _mount.Completion;

    /// <summary>The largest WRITE (and READ) request the kernel sends, as INIT settled it.</summary>
    public uint MaxWrite => _mount.Kernel.MaxWrite;

    /// <summary>The kernel's readahead window in bytes, where it can be read.</summary>
    public long? Readahead => _mount.Readahead;

    /// <summary>Bytes answered to READ requests since the mount: what the kernel's page cache did not serve.</summary>
    internal long BytesRead => _fileSystem.BytesRead;

    /// <summary>The client the mount serves through (its cache counters, for tests and benchmarks).</summary>
    public PfsClient Client => _client;

    /// <summary>
    /// Connects to the cluster and mounts its root directory at <paramref name="mountPoint"/>. Throws
    /// <see cref="FuseMountException"/> (a missing /dev/fuse, a missing or non-empty mountpoint) or
    /// <see cref="PfsException"/> (a cluster it cannot reach), each with a one-line message.
    /// </summary>
    public static async Task<PfsMount> MountAsync(string mountPoint, PfsMountOptions options, ILoggerFactory? loggerFactory = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        loggerFactory ??= NullLoggerFactory.Instance;
        var logger = loggerFactory.CreateLogger<PfsMount>();

        // The cheap local checks before the network: a bad mountpoint is refused at once.
        if (!File.Exists("/dev/fuse"))
        {
            throw new FuseMountException("/dev/fuse is missing: this machine cannot mount FUSE file systems");
        }

        FuseMount.CheckMountPoint(mountPoint);

        PfsFileSystem? fileSystem = null;
        var notices = new NoticeBridge(inode => fileSystem?.FindNode(inode), logger);
        var client = await PfsClient.ConnectAsync(new PfsClientOptions
        {
            ClientId = options.ClientId ?? $"mount-{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..6]}",
            MetaServer = options.MetaServer,
            CacheBlocks = options.CacheBlocks,
            OperationTimeout = options.OperationTimeout,
            LoggerFactory = loggerFactory,
            NoticeObserver = notices,
            Key = options.Key,
            KeyFile = options.KeyFile,
            TlsCa = options.TlsCa,
        }, cancellationToken).ConfigureAwait(false);
        try
        {
            var status = await client.GetClusterStatusAsync(cancellationToken).ConfigureAwait(false);
            var servers = status.FileServers.Count;
            if (options.ParityBlocks < 0 || options.ParityBlocks >= servers)
            {
                throw new FuseMountException($"{options.ParityBlocks} parity blocks per stripe need at least {Math.Max(options.ParityBlocks, 0) + 1} file servers; the cluster has {servers}");
            }

            var fits = servers - options.ParityBlocks;
            var width = options.StripeWidth > 0 ? Math.Min(options.StripeWidth, fits) : Math.Min(4, fits);
            fileSystem = new PfsFileSystem(client, notices, options, width, logger);
            var mount = await FuseMount.MountAsync(fileSystem, mountPoint, new FuseMountOptions
            {
                FsName = "pfs",
                Subtype = "pfs",
                // Other local users see the mount (only root may allow that without user_allow_other), and the
                // kernel checks their access against each file's mode, owner and group, as on a local disk:
                // the cluster knows the mount only as one identity, so local users are told apart here.
                AllowOther = Environment.UserName == "root" || Environment.GetEnvironmentVariable("USER") == "root",
                DefaultPermissions = true,
                // Sequential reads then keep up to 16 READs of 1 MiB in flight, each fanned out over the stripe.
                MaxReadahead = 16 << 20,
                // A read-only identity's changes would all be refused: the kernel says EROFS ("Read-only file
                // system") at once, as tools expect, and /proc/mounts shows ro.
                ReadOnly = client.IdentityIsReadOnly,
            }, loggerFactory.CreateLogger<FuseMount>(), cancellationToken).ConfigureAwait(false);
            notices.Attach(mount);
            Log.Serving(logger, options.MetaServer, mount.MountPoint, client.IdentityIsReadOnly ? ", read-only (the identity may make no change)" : string.Empty);
            return new PfsMount(client, fileSystem, mount);
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Closes every open file (flushing writers), unmounts, and disconnects from the cluster.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            await _fileSystem.CloseAllAsync().ConfigureAwait(false);
            await _mount.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            await _fileSystem.Notices.StopAsync().ConfigureAwait(false);
            await _client.DisposeAsync().ConfigureAwait(false);
        }
    }
}
