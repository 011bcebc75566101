using System.Globalization;
using Pfs.Client;

namespace Pfs.Tests.Fixtures;

/// <summary>
/// A whole cluster of real processes (Garnet, file servers, the metadata server), so a test can SIGKILL
/// any of them, or have the metadata server kill itself at a crash point, and start it again on the same
/// ports and data.
/// </summary>
public sealed class ProcessCluster : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private readonly List<ChildProcess?> _fileServers = [];
    private readonly int _metaPort = FreePort();
    private readonly string _keyFile;
    private readonly string _fileServerList;

    private ProcessCluster(GarnetProcess garnet, IReadOnlyList<string> dataDirectories, string keyFile)
    {
        Garnet = garnet;
        DataDirectories = dataDirectories;
        _keyFile = keyFile;
        FileServerPorts = [.. dataDirectories.Select(_ => FreePort())];
        _fileServerList = string.Join(',', FileServerPorts.Select(port => $"127.0.0.1:{port}"));
    }

    public GarnetProcess Garnet { get; }

    public IReadOnlyList<string> DataDirectories { get; }

    public IReadOnlyList<int> FileServerPorts { get; }

    public ChildProcess? Meta { get; private set; }

    public Uri MetaAddress => new($"http://127.0.0.1:{_metaPort}");

    /// <summary>Starts Garnet (on <paramref name="garnet"/> if given, already started or not) and a file server per data directory.</summary>
    public static async Task<ProcessCluster> StartAsync(string root, IReadOnlyList<string> dataDirectories, GarnetProcess? garnet = null)
    {
        garnet ??= new GarnetProcess();
        if (!garnet.IsRunning)
        {
            await garnet.StartAsync();
        }

        var keyFile = Path.Combine(root, "cluster.key");
        await File.WriteAllTextAsync(keyFile, TestCaps.Key);
        var cluster = new ProcessCluster(garnet, dataDirectories, keyFile);
        try
        {
            for (var i = 0; i < dataDirectories.Count; i++)
            {
                cluster._fileServers.Add(null);
                await cluster.StartFileServerAsync(i);
            }

            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Starts file server <paramref name="index"/> (again) on its port and data directory, with <paramref name="crashPoint"/>
    /// (a test-only setting: it kills itself there) if given; waits until it listens.
    /// </summary>
    public async Task StartFileServerAsync(int index, string? crashPoint = null)
    {
        if (_fileServers[index] is { HasExited: false })
        {
            throw new InvalidOperationException($"file server {index} is running");
        }

        _fileServers[index]?.Dispose();
        var environment = crashPoint is null ? null : new Dictionary<string, string> { ["FileServer__TestCrashPoint"] = crashPoint };
        var server = ChildProcess.Start("Pfs.FileServer", environment, "--port", FileServerPorts[index].ToString(CultureInfo.InvariantCulture),
            "--bind", "127.0.0.1", "--data-dir", DataDirectories[index], "--cluster-key-file", _keyFile);
        _fileServers[index] = server;
        await server.WaitForAsync("listening", StartTimeout);
    }

    /// <summary>File server <paramref name="index"/>'s process, while started.</summary>
    public ChildProcess FileServer(int index) => _fileServers[index] ?? throw new InvalidOperationException($"file server {index} was never started");

    /// <summary>SIGKILL of file server <paramref name="index"/>.</summary>
    public Task KillFileServerAsync(int index) =>
        _fileServers[index]?.KillAsync() ?? throw new InvalidOperationException($"file server {index} was never started");

    /// <summary>
    /// Starts the metadata server, with <paramref name="crashPoint"/> (a test-only setting: it kills itself
    /// there) if given; waits until it listens unless <paramref name="waitUntilListening"/> is false.
    /// </summary>
    public async Task StartMetaAsync(string? crashPoint = null, bool waitUntilListening = true)
    {
        if (Meta is { HasExited: false })
        {
            throw new InvalidOperationException("the metadata server is running");
        }

        Meta?.Dispose();
        var environment = crashPoint is null ? null : new Dictionary<string, string> { ["MetaServer__TestCrashPoint"] = crashPoint };
        Meta = ChildProcess.Start("Pfs.MetaServer", environment, "--port", _metaPort.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1",
            "--file-servers", _fileServerList, "--redis", Garnet.ConnectionString, "--cluster-key-file", _keyFile, "--lease-seconds", "2");
        if (waitUntilListening)
        {
            await Meta.WaitForAsync("Now listening on", StartTimeout);
        }
    }

    /// <summary>Waits for the metadata server to have killed itself at its crash point.</summary>
    public async Task WaitForMetaCrashAsync(string crashPoint)
    {
        var meta = Meta ?? throw new InvalidOperationException("no metadata server was started");
        await meta.WaitForExitAsync(StartTimeout);
        Assert.Contains($"Test crash point '{crashPoint}' reached", meta.Output, StringComparison.Ordinal);
    }

    /// <summary>SIGKILL of the metadata server.</summary>
    public async Task KillMetaAsync()
    {
        if (Meta is { } meta)
        {
            await meta.KillAsync();
        }
    }

    /// <summary>SIGSTOP (or SIGCONT) of the metadata server: it keeps its sockets open and answers nothing.</summary>
    public void PauseMeta(bool paused) => (Meta ?? throw new InvalidOperationException("no metadata server was started")).Pause(paused);

    public Task<PfsClient> ConnectAsync(string clientId, TimeSpan? operationTimeout = null) => PfsClient.ConnectAsync(new PfsClientOptions
    {
        ClientId = clientId,
        MetaServer = MetaAddress,
        OperationTimeout = operationTimeout ?? TimeSpan.FromSeconds(10),
    });

    public async ValueTask DisposeAsync()
    {
        Meta?.Dispose();
        _fileServers.ForEach(server => server?.Dispose());
        await Garnet.DisposeAsync();
    }

    private static int FreePort() => TestPorts.Free();
}
