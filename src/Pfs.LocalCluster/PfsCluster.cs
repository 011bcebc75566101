using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using Pfs.Client;
using Pfs.FileServer;
using FileServerOptions = Pfs.FileServer.FileServerOptions;
using Pfs.MetaServer;
using Pfs.Protocol;
using Pfs.ServiceDefaults;

namespace Pfs.LocalCluster;

/// <summary>
/// A metadata server and N file servers in this process, each on its own 127.0.0.1 port, with
/// block data under a scratch directory. Servers can be stopped and started again on the same
/// port, as a crashed and restarted node would be.
/// </summary>
public sealed class PfsCluster : IAsyncDisposable
{
    private readonly WebApplication?[] _fileServers;
    private readonly Action<WebApplicationBuilder>? _configureMeta;
    private readonly bool _ownsDataRoot;
    private WebApplication? _metaServer;
    private int _clients;

    private PfsCluster(string dataRoot, bool ownsDataRoot, int fileServers, Action<WebApplicationBuilder>? configureMeta)
    {
        DataRoot = dataRoot;
        _ownsDataRoot = ownsDataRoot;
        _fileServers = new WebApplication?[fileServers];
        FileServerAddresses = new Uri[fileServers];
        _configureMeta = configureMeta;
    }

    /// <summary>Where the file servers keep their blocks (<c>fs0</c>, <c>fs1</c>, ...).</summary>
    public string DataRoot { get; }

    /// <summary>The metadata server's address.</summary>
    public Uri MetaServerAddress { get; private set; } = null!;

    /// <summary>The file servers' addresses, in stripe order.</summary>
    public Uri[] FileServerAddresses { get; }

    /// <summary>The cluster key (base64) every server of this cluster shares.</summary>
    public string ClusterKey { get; } = CapabilitySigner.NewKey();

    /// <summary>Options the metadata server is started with (file servers filled in).</summary>
    public MetaServerOptions MetaOptions { get; private set; } = null!;

    /// <summary>
    /// Starts a cluster. Without <paramref name="dataRoot"/>, a temporary directory is used and removed on dispose.
    /// With <paramref name="redis"/> (a StackExchange.Redis connection string) the metadata server keeps its
    /// registry there, so it survives <see cref="StopMetaServerAsync"/> and <see cref="StartMetaServerAsync"/>.
    /// </summary>
    public static async Task<PfsCluster> StartAsync(int fileServers = 3, string? dataRoot = null,
        TimeSpan? leaseTimeout = null, Action<WebApplicationBuilder>? configureMeta = null, string? redis = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(fileServers);
        var owns = dataRoot is null;
        dataRoot ??= Path.Combine(Path.GetTempPath(), "pfs-" + Guid.NewGuid().ToString("N")[..12]);
        var cluster = new PfsCluster(dataRoot, owns, fileServers, configureMeta);
        try
        {
            for (var i = 0; i < fileServers; i++)
            {
                await cluster.StartFileServerAsync(i, cancellationToken).ConfigureAwait(false);
            }

            cluster.MetaOptions = new MetaServerOptions
            {
                Port = 0,
                BindAddress = "127.0.0.1",
                FileServers = cluster.FileServerAddresses.Select(a => a.ToString().TrimEnd('/')).ToList(),
                LeaseTimeout = leaseTimeout ?? TimeSpan.FromSeconds(10),
                Redis = redis,
                ClusterKey = cluster.ClusterKey,
            };
            await cluster.StartMetaServerAsync(cancellationToken).ConfigureAwait(false);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Connects a new client with a unique id.</summary>
    public Task<PfsClient> ConnectAsync(int cacheBlocks = 128, TimeSpan? operationTimeout = null, string? clientId = null,
                                        ILoggerFactory? loggerFactory = null, CancellationToken cancellationToken = default) =>
        PfsClient.ConnectAsync(new PfsClientOptions
        {
            ClientId = clientId ?? $"client-{Interlocked.Increment(ref _clients)}",
            MetaServer = MetaServerAddress,
            CacheBlocks = cacheBlocks,
            OperationTimeout = operationTimeout ?? TimeSpan.FromSeconds(30),
            LoggerFactory = loggerFactory,
        }, cancellationToken);

    /// <summary>Starts file server <paramref name="index"/> (again), on its old port if it had one.</summary>
    public async Task StartFileServerAsync(int index, CancellationToken cancellationToken = default)
    {
        if (_fileServers[index] is not null)
        {
            throw new InvalidOperationException($"file server {index} is running");
        }

        var port = FileServerAddresses[index]?.Port ?? 0;
        var app = FileServerApp.Build(new FileServerOptions
        {
            Port = port,
            BindAddress = "127.0.0.1",
            DataDirectory = Path.Combine(DataRoot, $"fs{index}"),
            ClusterKey = ClusterKey,
        }, configure: Quiet);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        _fileServers[index] = app;
        FileServerAddresses[index] = app.GetListenAddress();
    }

    /// <summary>Stops file server <paramref name="index"/>, as if its node went down.</summary>
    public async Task StopFileServerAsync(int index)
    {
        if (_fileServers[index] is { } app)
        {
            _fileServers[index] = null;
            await StopAsync(app).ConfigureAwait(false);
        }
    }

    /// <summary>Starts the metadata server (again), on its old port if it had one.</summary>
    public async Task StartMetaServerAsync(CancellationToken cancellationToken = default)
    {
        if (_metaServer is not null)
        {
            throw new InvalidOperationException("the metadata server is running");
        }

        var options = MetaOptions with { Port = MetaServerAddress?.Port ?? 0 };
        var app = MetaServerApp.Build(options, configure: builder =>
        {
            Quiet(builder);
            _configureMeta?.Invoke(builder);
        });
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        _metaServer = app;
        MetaServerAddress = app.GetListenAddress();
    }

    /// <summary>Stops the metadata server.</summary>
    public async Task StopMetaServerAsync()
    {
        if (_metaServer is { } app)
        {
            _metaServer = null;
            await StopAsync(app).ConfigureAwait(false);
        }
    }

    /// <summary>The running metadata server's services (for tests that look inside).</summary>
    public IServiceProvider MetaServices => _metaServer?.Services ?? throw new InvalidOperationException("the metadata server is not running");

    /// <summary>Stops every server and removes a temporary data directory.</summary>
    public async ValueTask DisposeAsync()
    {
        await StopMetaServerAsync().ConfigureAwait(false);
        for (var i = 0; i < _fileServers.Length; i++)
        {
            await StopFileServerAsync(i).ConfigureAwait(false);
        }

        if (_ownsDataRoot && Directory.Exists(DataRoot))
        {
            try
            {
                Directory.Delete(DataRoot, recursive: true);
            }
            catch (IOException)
            {
                // A scratch directory left behind is harmless.
            }
        }
    }

    private static async Task StopAsync(WebApplication app)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await app.StopAsync(timeout.Token).ConfigureAwait(false);
        await app.DisposeAsync().ConfigureAwait(false);
    }

    // Servers inside a test or the demo should not drown its output in request logs.
    private static void Quiet(WebApplicationBuilder builder)
    {
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
    }
}
