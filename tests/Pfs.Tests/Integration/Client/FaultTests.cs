using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Pfs.Client;
using Pfs.LocalCluster;
using Pfs.Tests.Fixtures;

namespace Pfs.Tests.Integration.Client;

/// <summary>Servers that go away and come back; each test has a cluster of its own.</summary>
public sealed class FaultTests
{
    private static readonly TimeSpan Short = TimeSpan.FromSeconds(3);

    [Fact]
    public async Task UnreachableMetaServerIsUnavailableWithinTheTimeout()
    {
        var clock = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<PfsException>(() => PfsClient.ConnectAsync(new PfsClientOptions
        {
            ClientId = "lonely",
            MetaServer = new Uri($"http://127.0.0.1:{UnusedPort()}"),
            OperationTimeout = Short,
        }));

        Assert.Equal(PfsErrorCode.Unavailable, error.Code);
        Assert.True(clock.Elapsed < Short + TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
    }

    [Fact]
    public async Task StoppedFileServerIsUnavailableAndTheSameClientRecoversWhenItIsBack()
    {
        await using var cluster = await PfsCluster.StartAsync(fileServers: 3);
        await using var client = await cluster.ConnectAsync(operationTimeout: Short);
        await client.CreateAsync("f", stripeWidth: 3);
        var data = TestData.Bytes(6 * 512, seed: 1);
        await using (var writer = await client.OpenAsync("f", PfsOpenMode.Write))
        {
            await writer.WriteAsync(data, 0);
        }

        await cluster.StopFileServerAsync(1);
        await using var reader = await cluster.ConnectAsync(operationTimeout: Short);
        await using (var file = await reader.OpenAsync("f", PfsOpenMode.Read))
        {
            var clock = Stopwatch.StartNew();
            var error = await Assert.ThrowsAsync<PfsException>(() => file.ReadAsync(new byte[data.Length], 0).AsTask());
            Assert.Equal(PfsErrorCode.Unavailable, error.Code);
            Assert.True(clock.Elapsed < Short + TimeSpan.FromSeconds(5), $"took {clock.Elapsed}");
        }

        await cluster.StartFileServerAsync(1);
        await using (var file = await reader.OpenAsync("f", PfsOpenMode.Read))
        {
            Assert.Equal(data, await TestData.ReadAllAsync(file, data.Length));
        }
    }

    [Fact]
    public async Task ClosedWritesSurviveARestartOfEveryFileServer()
    {
        await using var cluster = await PfsCluster.StartAsync(fileServers: 3);
        await using var client = await cluster.ConnectAsync();
        await client.CreateAsync("durable", stripeWidth: 3);
        var data = TestData.Bytes(100_000, seed: 2);
        await using (var writer = await client.OpenAsync("durable", PfsOpenMode.Write))
        {
            await writer.WriteAsync(data, 0);
        }

        for (var i = 0; i < 3; i++)
        {
            await cluster.StopFileServerAsync(i);
            await cluster.StartFileServerAsync(i);
        }

        await using var fresh = await cluster.ConnectAsync();
        await using var reader = await fresh.OpenAsync("durable", PfsOpenMode.Read);
        Assert.Equal(data, await TestData.ReadAllAsync(reader, data.Length));
    }

    [Fact]
    public async Task LostNoticeStreamReconnectsAndDropsTheCache()
    {
        await using var cluster = await PfsCluster.StartAsync(fileServers: 1);
        await using var client = await cluster.ConnectAsync(operationTimeout: Short);
        await client.CreateAsync("cached", stripeWidth: 1);
        await using (var writer = await client.OpenAsync("cached", PfsOpenMode.Write))
        {
            await writer.WriteAsync(new byte[4 * 512], 0);
        }

        await cluster.StopMetaServerAsync();
        await cluster.StartMetaServerAsync();

        // The client may have missed notices while the stream was down: it must forget every
        // clean block, and it must come back on its own.
        await Wait.UntilAsync(() => client.SessionCount >= 2, "the client resubscribes");
        Assert.Equal(4, client.Stats.CloseEvictions);
        await client.CreateAsync("after", stripeWidth: 1);
    }

    [Fact]
    public async Task DisposingAClientWhoseReaderWasLostToAMetaServerRestartDoesNotThrowButALostWriterIsReported()
    {
        await using var cluster = await PfsCluster.StartAsync(fileServers: 1);
        var readerClient = await cluster.ConnectAsync(operationTimeout: Short, clientId: "lost-reader");
        var writerClient = await cluster.ConnectAsync(operationTimeout: Short, clientId: "lost-writer");
        await readerClient.CreateAsync("r", stripeWidth: 1);
        await readerClient.CreateAsync("w", stripeWidth: 1);
        _ = await readerClient.OpenAsync("r", PfsOpenMode.Read);
        var writer = await writerClient.OpenAsync("w", PfsOpenMode.Write);
        await writer.WriteAsync(new byte[512], 0);

        await cluster.StopMetaServerAsync();
        await cluster.StartMetaServerAsync();
        await Wait.UntilAsync(() => readerClient.SessionCount >= 2 && writerClient.SessionCount >= 2, "both clients resubscribe");

        // The reader had nothing to flush: its lost open is simply gone.
        await readerClient.DisposeAsync();

        // The writer's unflushed bytes were discarded with its lock: the owner must hear of it.
        var lost = await Assert.ThrowsAsync<PfsException>(() => writerClient.DisposeAsync().AsTask());
        Assert.Contains("Write open", lost.Message, StringComparison.Ordinal);
    }

    private static int UnusedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
