using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Pfs.Client;
using Pfs.Tests.Fixtures;

namespace Pfs.Tests.Integration.Faults;

/// <summary>
/// The contract's timeouts (CONTRACT.md, "Errors: Timeouts"): a refused connection fails
/// <see cref="PfsClient.ConnectAsync"/> within 5 s; any one public call against a server that cannot be
/// reached ends with <see cref="PfsErrorCode.Unavailable"/> within the operation timeout, counted from
/// the moment it was made; a server that is merely restarting is waited for. Real processes, SIGKILL.
/// </summary>
public sealed class UnreachableServerTests : IAsyncLifetime
{
    // The clients' operation timeout here, and the slack a call may take beyond it on a loaded
    // 2-core machine (scheduling, a process's death being noticed) before it counts as a hang.
    private static readonly TimeSpan OperationTimeout = TimeSpan.FromSeconds(6);
    private static readonly TimeSpan Slack = TimeSpan.FromSeconds(3);
    private readonly string _root = Directory.CreateTempSubdirectory("pfs-unreachable-").FullName;
    private ProcessCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        _cluster = await ProcessCluster.StartAsync(_root, [Path.Combine(_root, "fs0"), Path.Combine(_root, "fs1")]);
        await _cluster.StartMetaAsync();
    }

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    /// <summary>
    /// Connects to the live metadata server before any fault. What is measured is the calls after the
    /// fault, so a connect that times out on a loaded machine (a cold server's first Subscribe) is tried
    /// again rather than failing the test; the short operation timeout still bounds every later call.
    /// </summary>
    private async Task<PfsClient> ConnectAsync(string clientId, TimeSpan operationTimeout)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return await _cluster.ConnectAsync(clientId, operationTimeout);
            }
            catch (PfsException ex) when (ex.Code == PfsErrorCode.Unavailable && clock.Elapsed < TimeSpan.FromSeconds(60))
            {
            }
        }
    }

    [Fact]
    public async Task ConnectingToAPortNobodyListensOnFailsUnavailableWithinFiveSecondsNotTheOperationTimeout()
    {
        using var reserved = new TcpListener(IPAddress.Loopback, 0);
        reserved.Start();
        var port = ((IPEndPoint)reserved.LocalEndpoint).Port;
        reserved.Stop();

        var clock = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<PfsException>(() => PfsClient.ConnectAsync(new PfsClientOptions
        {
            ClientId = "refused",
            MetaServer = new Uri($"http://127.0.0.1:{port}"),
            OperationTimeout = TimeSpan.FromSeconds(30),
        }));

        Assert.Equal(PfsErrorCode.Unavailable, error.Code);
        Assert.Contains($"127.0.0.1:{port}", error.Message, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"a refused connection must fail within 5 s, not {clock.Elapsed.TotalSeconds:0.0} s");
    }

    [Fact]
    public async Task ConnectingToAHostThatDoesNotExistSaysSoInsteadOfWaitingOutTheOperationTimeout()
    {
        // '.invalid' never resolves (RFC 2606): a mistyped host name is told at once, as a refused port is,
        // not after the operation timeout with a message that hides why.
        var error = await Assert.ThrowsAsync<PfsException>(() => PfsClient.ConnectAsync(new PfsClientOptions
        {
            ClientId = "no-such-host",
            MetaServer = new Uri("http://pfs-meta.invalid:50051"),
            OperationTimeout = TimeSpan.FromSeconds(30),
        }));

        Assert.Equal(PfsErrorCode.Unavailable, error.Code);
        Assert.Contains("pfs-meta.invalid:50051", error.Message, StringComparison.Ordinal);
        Assert.Contains("cannot be reached: ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task EveryCallWhileTheMetadataServerIsDeadEndsUnavailableWithinTheOperationTimeout()
    {
        var client = await ConnectAsync("survivor", OperationTimeout);
        await client.CreateAsync("kept", stripeWidth: 2);
        var written = await client.OpenAsync("kept", PfsOpenMode.Write);
        await written.WriteAsync(TestData.Bytes(8 * 512, seed: 3), 0);

        await _cluster.KillMetaAsync();

        var calls = new (string What, Func<Task> Call)[]
        {
            ("stat", () => client.StatAsync("kept")),
            ("create", () => client.CreateAsync("new", stripeWidth: 1)),
            ("open for read", async () => await (await client.OpenAsync("kept", PfsOpenMode.Read)).DisposeAsync()),
            ("open for write", async () => await (await client.OpenAsync("kept", PfsOpenMode.Write)).DisposeAsync()),
            ("delete", () => client.DeleteAsync("kept")),
            ("list", () => client.ListAsync()),
            ("cluster status", () => client.GetClusterStatusAsync()),
            ("close of a dirty writer", async () => await written.DisposeAsync()),

            // Its writer could not close, so disposing the client reports that (and still ends).
            ("dispose of the client", async () => await client.DisposeAsync()),
        };
        foreach (var (what, call) in calls)
        {
            var clock = Stopwatch.StartNew();
            var error = await Assert.ThrowsAsync<PfsException>(call);
            Assert.True(error.Code == PfsErrorCode.Unavailable, $"{what}: {error.Code}: {error.Message}");
            Assert.True(clock.Elapsed < OperationTimeout + Slack,
                $"{what} must end within the operation timeout ({OperationTimeout.TotalSeconds} s), not after {clock.Elapsed.TotalSeconds:0.0} s");
        }
    }

    [Fact]
    public async Task CallsToAHungMetadataServerEndUnavailableWithinTheOperationTimeoutLockWaitsIncluded()
    {
        await using var client = await ConnectAsync("stuck", OperationTimeout);
        await client.CreateAsync("frozen", stripeWidth: 1);

        _cluster.PauseMeta(paused: true);
        try
        {
            // An open (which may wait for a lock, so it has no deadline of its own) and a bounded call.
            foreach (var (what, call) in new (string, Func<Task>)[]
            {
                ("open", async () => await (await client.OpenAsync("frozen", PfsOpenMode.Write)).DisposeAsync()),
                ("stat", () => client.StatAsync("frozen")),
            })
            {
                var clock = Stopwatch.StartNew();
                var error = await Assert.ThrowsAsync<PfsException>(call);
                Assert.True(error.Code == PfsErrorCode.Unavailable, $"{what}: {error.Code}: {error.Message}");
                Assert.True(clock.Elapsed < OperationTimeout + Slack,
                    $"{what} must end within the operation timeout ({OperationTimeout.TotalSeconds} s), not after {clock.Elapsed.TotalSeconds:0.0} s");
            }
        }
        finally
        {
            _cluster.PauseMeta(paused: false);
        }
    }

    [Fact]
    public async Task ACallMadeWhileTheMetadataServerRestartsWaitsForItAndSucceeds()
    {
        await using var client = await ConnectAsync("patient", TimeSpan.FromSeconds(30));
        await client.CreateAsync("there", stripeWidth: 1);

        await _cluster.KillMetaAsync();
        var stat = client.StatAsync("there");
        var restart = _cluster.StartMetaAsync();

        var info = await stat.WaitAsync(TimeSpan.FromSeconds(60));
        await restart;
        Assert.Equal(0, info.Size);
    }

    [Fact]
    public async Task AMetadataServerStartedWhileItsRedisIsDownWaitsForItThenServesWhatWasStored()
    {
        await using (var client = await ConnectAsync("before", OperationTimeout))
        {
            await client.CreateAsync("stored", stripeWidth: 2);
        }

        await _cluster.KillMetaAsync();
        await _cluster.Garnet.KillAsync();
        await _cluster.StartMetaAsync(waitUntilListening: false);
        await _cluster.Meta!.WaitForAsync("Loading the namespace failed", TimeSpan.FromSeconds(30));
        Assert.False(_cluster.Meta.HasExited, "the metadata server must wait for its store, not exit");

        await _cluster.Garnet.StartAsync();
        await _cluster.Meta.WaitForAsync("Now listening on", TimeSpan.FromSeconds(90));

        await using var after = await ConnectAsync("after", OperationTimeout);
        Assert.Equal(2, (await after.StatAsync("stored")).StripeWidth);
    }

    [Fact]
    public async Task AReadOfAnUnprotectedFileTouchingADeadFileServerFailsUnavailableWithinTheOperationTimeout()
    {
        await using (var writer = await ConnectAsync("writer", OperationTimeout))
        {
            await writer.CreateAsync("striped", stripeWidth: 2);
            await using var file = await writer.OpenAsync("striped", PfsOpenMode.Write);
            await file.WriteAsync(TestData.Bytes(16 * 512, seed: 4), 0);
        }

        // A client with nothing of the file cached.
        await using var client = await ConnectAsync("reader", OperationTimeout);
        await _cluster.KillFileServerAsync(1);
        await using var reader = await client.OpenAsync("striped", PfsOpenMode.Read);
        var buffer = new byte[16 * 512];

        var clock = Stopwatch.StartNew();
        var error = await Assert.ThrowsAsync<PfsException>(() => reader.ReadAsync(buffer, 0).AsTask());

        Assert.Equal(PfsErrorCode.Unavailable, error.Code);
        Assert.True(clock.Elapsed < OperationTimeout + Slack,
            $"the read must end within the operation timeout ({OperationTimeout.TotalSeconds} s), not after {clock.Elapsed.TotalSeconds:0.0} s");
    }
}
