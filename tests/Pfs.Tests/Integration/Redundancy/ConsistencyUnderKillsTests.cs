using System.Text.RegularExpressions;
using Pfs.Client;
using Pfs.Consistency;
using Pfs.Tests.Fixtures;
using Xunit.Abstractions;

namespace Pfs.Tests.Integration.Redundancy;

/// <summary>
/// The consistency checker on real processes while file servers are SIGKILLed one at a time, started again
/// (a third of the time with the data directory wiped) and repaired: with K+M files every client call
/// still succeeds with the model's bytes, and after the run every file reads back whole with M servers
/// killed.
/// </summary>
public sealed class ConsistencyUnderKillsTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int FileServers = 5;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private readonly string _root = Directory.CreateTempSubdirectory("pfs-chaos-").FullName;
    private readonly ClientLogs _clientLogs = new();
    private ProcessCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        _cluster = await ProcessCluster.StartAsync(_root, [.. Enumerable.Range(0, FileServers).Select(i => Path.Combine(_root, $"fs{i}"))]);
        await _cluster.StartMetaAsync();
        // A lost disk is told from a restart by the identity the metadata server read before it.
        await Wait.UntilAsync(() => _cluster.FileServerPorts.All(port =>
            _cluster.Meta!.Output.Contains($"127.0.0.1:{port} identity confirmed", StringComparison.Ordinal)),
            "the metadata server has read every file server's identity", Timeout);
    }

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 2)]
    public async Task RandomHistoriesStayConsistentWhileFileServersAreKilledAndRepaired(int seed, int parity)
    {
        var options = new CheckerOptions
        {
            Seed = seed,
            ParityBlocks = parity,
            Operations = 800,
            OperationsPerFault = 100,
            FaultCycles = 4,
            TimeLimit = TimeSpan.FromMinutes(3),
        };
        var checker = new ConsistencyChecker(ConnectAsync, options, new ProcessFaults(_cluster));

        CheckerResult result;
        try
        {
            result = await checker.RunAsync().WaitAsync(TimeSpan.FromMinutes(5));
        }
        catch
        {
            // What the metadata server logged is most of what tells a rare failure's cause afterwards.
            var log = _cluster.Meta!.Output.Split(Environment.NewLine);
            output.WriteLine($"the metadata server's last {Math.Min(log.Length, 300)} log lines:");
            foreach (var line in log.TakeLast(300))
            {
                output.WriteLine(line);
            }

            output.WriteLine("what the clients logged:");
            foreach (var line in _clientLogs.Lines)
            {
                output.WriteLine(line);
            }

            throw;
        }

        output.WriteLine($"{result.Operations} operations, {result.Reads} reads checked, {result.FaultCycles} kill/restart/repair cycles, " +
                         $"{result.FilesVerified} files verified with {parity} server(s) down, {result.Elapsed.TotalSeconds:0.0} s");
        Assert.True(result.Operations >= options.Operations, $"the run stopped early after {result.Operations} operations");
        Assert.True(result.FaultCycles >= options.FaultCycles, $"only {result.FaultCycles} fault cycles ran (the time limit ended the run)");
        Assert.True(result.Reads > 200, "too few reads were checked to mean anything");
        Assert.Equal(options.Files, result.FilesVerified);
    }

    private Task<PfsClient> ConnectAsync(string clientId, int cacheBlocks, CancellationToken cancellationToken) =>
        PfsClient.ConnectAsync(new PfsClientOptions
        {
            ClientId = clientId,
            MetaServer = _cluster.MetaAddress,
            CacheBlocks = cacheBlocks,
            OperationTimeout = TimeSpan.FromSeconds(20),
            // A client's writes skip a server that failed them for DownServerRetry (3 s by default), also once it is
            // back: a file written then is degraded with every server up. The checker kills the next server a few
            // seconds after starting the last, so with the default such a file would meet a second fault, more than
            // M = 1 covers; a short skip keeps to one fault at a time, as the run means to.
            DownServerRetry = TimeSpan.FromMilliseconds(250),
            LoggerFactory = _clientLogs.For(clientId),
        }, cancellationToken);

    /// <summary>SIGKILL and restart of the cluster's file-server processes.</summary>
    private sealed class ProcessFaults(ProcessCluster cluster) : IServerFaults
    {
        public int FileServers => cluster.FileServerPorts.Count;

        public Task KillFileServerAsync(int index) => cluster.KillFileServerAsync(index);

        public async Task StartFileServerAsync(int index, bool emptied)
        {
            var lost = $"127.0.0.1:{cluster.FileServerPorts[index]} came back without its data";
            var before = Regex.Count(cluster.Meta!.Output, Regex.Escape(lost));
            if (emptied)
            {
                Directory.Delete(cluster.DataDirectories[index], recursive: true);
            }

            await cluster.StartFileServerAsync(index);
            if (emptied)
            {
                await Wait.UntilAsync(() => Regex.Count(cluster.Meta!.Output, Regex.Escape(lost)) > before,
                    $"the metadata server notices file server {index} lost its data", Timeout);
            }
        }
    }
}
