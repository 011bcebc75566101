using Pfs.Client;

namespace Pfs.Benchmarks.Cluster;

/// <summary>
/// A metadata server and N file servers, each its own process on 127.0.0.1, data under a temporary
/// directory that is removed on dispose. Metadata goes to a durable Redis-protocol store (the
/// repository's Pfs.Garnet, else a <c>redis-server</c> on the PATH) when the metadata server accepts
/// <c>--redis</c>; otherwise it stays in memory and <see cref="MetadataStore"/> says why.
/// </summary>
internal sealed class ProcessCluster : IAsyncDisposable
{
    private const string WarmFile = "bench-warm";

    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private readonly List<ServerProcess> _processes = [];
    private readonly List<ServerProcess> _fileServers = [];
    // How each file server was started, to start it again after a kill (same port, data and arguments).
    private readonly List<Func<int, ServerProcess>> _fileServerStarts = [];
    private readonly string _root;
    private int _clients;
    private string _redisKind = string.Empty;

    private ProcessCluster(string root)
    {
        _root = root;
        KeyFile = Path.Combine(root, "cluster.key");
        var key = Protocol.CapabilitySigner.NewKey();
        File.WriteAllText(KeyFile, key);
        Signer = new Protocol.CapabilitySigner(Protocol.CapabilitySigner.ParseKey(key));
    }

    /// <summary>This cluster's own key file (every server gets <c>--cluster-key-file</c>).</summary>
    public string KeyFile { get; }

    /// <summary>Signs with the cluster key, for the ceiling's commit calls (which stand in for the metadata server's).</summary>
    public Protocol.CapabilitySigner Signer { get; }

    /// <summary>The file servers, by index; a restarted one is a new process in its old place.</summary>
    public IReadOnlyList<ServerProcess> FileServers => _fileServers;

    public ServerProcess MetaServer { get; private set; } = null!;

    /// <summary>TLS and authentication, when this cluster runs with them.</summary>
    public ClusterSecurity? Security { get; private init; }

    /// <summary>The key every client of a cluster with authentication uses.</summary>
    public string? ClientKey { get; private set; }

    public ServerProcess? Redis { get; private set; }

    /// <summary>How metadata is kept, as the table prints it.</summary>
    public string MetadataStore { get; private set; } = "in memory";

    public bool DurableMetadata => Redis is not null;

    /// <summary>Process ids of every server (file servers, metadata server, Redis), for CPU accounting.</summary>
    public IReadOnlyList<int> ServerPids => [.. FileServers.Select(s => s.Pid), MetaServer.Pid, .. Redis is null ? Array.Empty<int>() : [Redis.Pid]];

    /// <summary>Process ids of the file servers, for RSS sampling.</summary>
    public IReadOnlyList<int> FileServerPids => FileServers.Select(s => s.Pid).ToList();

    /// <summary>No-op file servers (<c>Pfs.WireServer</c>) started beside the cluster by <see cref="StartWireServersAsync"/>.</summary>
    public IReadOnlyList<ServerProcess> WireServers { get; private set; } = [];

    /// <summary>
    /// Starts the cluster; <paramref name="fileServerPorts"/>, if given, are the file servers' ports
    /// (shaped ones), else each gets a free port.
    /// </summary>
    public static async Task<ProcessCluster> StartAsync(ServerBinaries binaries, int fileServers, int delayMs, string label,
                                                        TextWriter log, CancellationToken cancellationToken,
                                                        IReadOnlyDictionary<string, string>? fileServerEnvironment = null,
                                                        IReadOnlyList<int>? fileServerPorts = null, ClusterSecurity? security = null)
    {
        var root = Path.Combine(Path.GetTempPath(), $"pfs-bench-{label}-{Environment.ProcessId}-{Guid.NewGuid():N}"[..48]);
        Directory.CreateDirectory(root);
        var cluster = new ProcessCluster(root) { Security = security };
        try
        {
            var serverEnvironment = security?.Environment(root) ?? new Dictionary<string, string>();
            fileServerEnvironment = new Dictionary<string, string>([.. fileServerEnvironment ?? new Dictionary<string, string>(), .. serverEnvironment]);
            for (var i = 0; i < fileServers; i++)
            {
                var args = new List<string> { "--data-dir", cluster.FileServerDataDirectory(i), "--cluster-key-file", cluster.KeyFile };
                if (delayMs > 0)
                {
                    args.AddRange(["--delay-ms", delayMs.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
                }

                var index = i;
                var name = $"{label}-fs{i}";
                var environment = fileServerEnvironment;
                var firstPort = fileServerPorts?[i];
                cluster._fileServerStarts.Add(start =>
                {
                    // A restart gets its own log (the old one is kept) and the port the first start got.
                    var server = ServerProcess.Start(start == 0 ? name : $"{name}-{start}", binaries.FileServer, args, root, environment,
                        start == 0 ? firstPort : cluster._fileServers[index].Port);
                    return security is null ? server : server.UseTls(security.Certificates!.CaFile);
                });
                cluster._fileServers.Add(cluster.Track(cluster._fileServerStarts[i](0)));
            }

            await Task.WhenAll(cluster._fileServers.Select(s => s.WaitHealthyAsync(StartTimeout, cancellationToken)));
            await cluster.StartMetaServerAsync(binaries, label, log, WithMetaEnvironment(serverEnvironment), cancellationToken);
            if (security is not null)
            {
                cluster.ClientKey = await security.AddIdentityAsync(cluster.MetaServer.Address, cluster.KeyFile, cancellationToken);
            }

            await cluster.CreateWarmFileAsync(cancellationToken);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// A client of this cluster with a unique id; <paramref name="configure"/> may change the defaults.
    /// Its channels to every file server are connected before it is returned (by reading a small
    /// file striped over all of them), so no measurement pays for TCP and HTTP/2 set-up.
    /// </summary>
    public async Task<PfsClient> ConnectAsync(Func<PfsClientOptions, PfsClientOptions>? configure = null, CancellationToken cancellationToken = default)
    {
        var options = new PfsClientOptions
        {
            ClientId = $"bench-{Environment.ProcessId}-{Interlocked.Increment(ref _clients)}",
            MetaServer = MetaServer.Address,
            Key = ClientKey,
            TlsCa = Security?.Certificates?.CaFile,
        };
        var client = await PfsClient.ConnectAsync(configure?.Invoke(options) ?? options, cancellationToken);
        try
        {
            await using var file = await client.OpenAsync(WarmFile, PfsOpenMode.Read, cancellationToken);
            await file.ReadAsync(new byte[FileServers.Count * 512], 0, cancellationToken);
            return client;
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// The last <paramref name="count"/> warnings and errors of each server's log, each named by its server, for a
    /// failure's message: what a run that read back wrong bytes needs to be understood without its logs.
    /// </summary>
    public string WarningDigest(int count = 5)
    {
        var lines = _processes.SelectMany(process => process.Warnings().TakeLast(count).Select(line => $"[{process.Name}] {line}")).ToList();
        return lines.Count == 0 ? "none" : string.Join(Environment.NewLine, lines);
    }

    /// <summary>File server <paramref name="index"/>'s data directory.</summary>
    public string FileServerDataDirectory(int index) => Path.Combine(_root, $"fs{index}");

    /// <summary>The index of the file server at <paramref name="address"/> (as a recipe names it), or -1.</summary>
    public int FileServerIndex(string address)
    {
        var port = new Uri(address).Port;
        for (var i = 0; i < _fileServers.Count; i++)
        {
            if (_fileServers[i].Port == port)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>SIGKILL of file server <paramref name="index"/>; returns once it is gone (at most 10 s).</summary>
    public void KillFileServer(int index) => _fileServers[index].Kill(TimeSpan.FromSeconds(10));

    /// <summary>
    /// Starts file server <paramref name="index"/> again (it must have been killed) on its port, data
    /// directory and arguments, and waits until it is SERVING.
    /// </summary>
    public async Task RestartFileServerAsync(int index, CancellationToken cancellationToken)
    {
        if (!_fileServers[index].HasExited)
        {
            throw new InvalidOperationException($"{_fileServers[index].Name} is still running");
        }

        var starts = _processes.Count(p => p.Port == _fileServers[index].Port);
        var server = Track(_fileServerStarts[index](starts));
        _fileServers[index] = server;
        await server.WaitHealthyAsync(StartTimeout, cancellationToken);
    }

    /// <summary>
    /// Starts no-op file servers (they discard writes and serve reads from memory) on
    /// <paramref name="ports"/> (free ones if null), for the wire's own ceiling.
    /// </summary>
    public async Task StartWireServersAsync(ServerBinaries binaries, int count, IReadOnlyList<int>? ports, CancellationToken cancellationToken)
    {
        var servers = new List<ServerProcess>();
        for (var i = 0; i < count; i++)
        {
            servers.Add(Track(ServerProcess.Start($"wire{i}", binaries.WireServerDll, [], _root, port: ports?[i])));
        }

        WireServers = servers;
        await Task.WhenAll(servers.Select(s => s.WaitHealthyAsync(StartTimeout, cancellationToken)));
    }

    public ValueTask DisposeAsync()
    {
        foreach (var process in _processes)
        {
            process.Dispose();
        }

        if (Environment.GetEnvironmentVariable("PFS_BENCH_KEEP") == "1")
        {
            // For a look at the servers' logs afterwards.
            Console.Error.WriteLine($"kept {_root}");
            return ValueTask.CompletedTask;
        }

        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // A server still closing a file; the temp directory is cleaned by the OS eventually.
        }
        catch (UnauthorizedAccessException)
        {
        }

        return ValueTask.CompletedTask;
    }

    private async Task CreateWarmFileAsync(CancellationToken cancellationToken)
    {
        await using var client = await PfsClient.ConnectAsync(new PfsClientOptions
        {
            ClientId = $"bench-{Environment.ProcessId}-warm",
            MetaServer = MetaServer.Address,
            Key = ClientKey,
            TlsCa = Security?.Certificates?.CaFile,
        }, cancellationToken);
        await client.CreateAsync(WarmFile, FileServers.Count, cancellationToken);
        await using var file = await client.OpenAsync(WarmFile, PfsOpenMode.Write, cancellationToken);
        await file.WriteAsync(new byte[FileServers.Count * 512], 0, cancellationToken);
    }

    /// <summary>
    /// The metadata server's environment, plus what <c>PFS_BENCH_META_ENV</c> names ("NAME=value;NAME=value"):
    /// for trying a runtime setting on the metadata server alone, with everything else in the run unchanged.
    /// </summary>
    private static IReadOnlyDictionary<string, string> WithMetaEnvironment(IReadOnlyDictionary<string, string> environment)
    {
        var extra = Environment.GetEnvironmentVariable("PFS_BENCH_META_ENV");
        if (string.IsNullOrWhiteSpace(extra))
        {
            return environment;
        }

        var merged = new Dictionary<string, string>(environment);
        foreach (var pair in extra.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                throw new ArgumentException($"PFS_BENCH_META_ENV: '{pair}' is not NAME=value");
            }

            merged[pair[..equals]] = pair[(equals + 1)..];
        }

        return merged;
    }

    private async Task StartMetaServerAsync(ServerBinaries binaries, string label, TextWriter log, IReadOnlyDictionary<string, string> environment,
                                            CancellationToken cancellationToken)
    {
        var servers = string.Join(',', FileServers.Select(s => s.Address.ToString().TrimEnd('/')));
        Redis = StartRedis(binaries, label);
        if (Redis is null)
        {
            MetadataStore = "in memory (no Pfs.Garnet or redis-server to store it)";
        }
        else
        {
            Track(Redis);
            await Redis.WaitListeningAsync(StartTimeout, cancellationToken);
            var meta = Track(WithTls(ServerProcess.Start($"{label}-meta", binaries.MetaServerDll,
                ["--file-servers", servers, "--redis", $"127.0.0.1:{Redis.Port}", "--cluster-key-file", KeyFile], _root, environment)));
            try
            {
                await meta.WaitHealthyAsync(StartTimeout, cancellationToken);
                MetaServer = meta;
                MetadataStore = $"durable: Redis protocol ({_redisKind})";
                return;
            }
            catch (InvalidOperationException ex) when (meta.HasExited)
            {
                // This metadata server has no Redis store yet (it refuses --redis): measure in memory and say so.
                await log.WriteLineAsync($"note: the metadata server refused --redis ({ex.Message}); metadata stays in memory");
                MetadataStore = "in memory (MetaServer refused --redis)";
                Redis.Dispose();
                _processes.Remove(Redis);
                Redis = null;
            }
        }

        MetaServer = Track(WithTls(ServerProcess.Start($"{label}-meta", binaries.MetaServerDll, ["--file-servers", servers, "--cluster-key-file", KeyFile], _root, environment)));
        await MetaServer.WaitHealthyAsync(StartTimeout, cancellationToken);
    }

    // Durable as the targets mean it: every acknowledged write is in the append-only file.
    // Garnet (the repository's own store) first; else a redis-server on the PATH with fsync on every write.
    private ServerProcess? StartRedis(ServerBinaries binaries, string label)
    {
        var dir = Path.Combine(_root, "redis");
        Directory.CreateDirectory(dir);
        if (binaries.GarnetDll is { } garnet && File.Exists(garnet))
        {
            _redisKind = "Pfs.Garnet, append-only file";
            return ServerProcess.StartRaw($"{label}-redis", "dotnet",
                port => [garnet, "--port", port, "--bind", "127.0.0.1", "--data-dir", dir], _root);
        }

        if (FindOnPath("redis-server") is { } redisServer)
        {
            _redisKind = "redis-server, appendfsync always";
            return ServerProcess.StartRaw($"{label}-redis", redisServer,
                port => ["--port", port, "--bind", "127.0.0.1", "--dir", dir, "--appendonly", "yes", "--appendfsync", "always", "--save", ""], _root);
        }

        return null;
    }

    private ServerProcess WithTls(ServerProcess process) => Security?.Certificates is { } tls ? process.UseTls(tls.CaFile) : process;

    private ServerProcess Track(ServerProcess process)
    {
        _processes.Add(process);
        return process;
    }

    private static string? FindOnPath(string program)
    {
        foreach (var directory in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator))
        {
            var candidate = Path.Combine(directory, program);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
