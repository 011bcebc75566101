using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Pfs.Client;
using Pfs.LocalCluster;
using Pfs.MetaServer.Persistence;
using Pfs.Tests.Fixtures;
using StackExchange.Redis;

namespace Pfs.Tests.Integration.MetaServer;

/// <summary>A whole in-process cluster whose metadata server keeps its registry in Garnet.</summary>
[Collection(GarnetCollection.Name)]
public sealed class RedisDurabilityTests(GarnetProcess garnet)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private static int _names;

    [Fact]
    public async Task MetadataSurvivesAMetaServerRestartAndClientsCarryOn()
    {
        await using var cluster = await PfsCluster.StartAsync(fileServers: 3, redis: garnet.ConnectionString).WaitAsync(Timeout);
        await using var client = await cluster.ConnectAsync(operationTimeout: Timeout);
        var name = UniqueName("restart");
        var data = TestData.Bytes(7 * 512, seed: 3);
        await WriteAsync(client, name, data);
        var before = await client.StatAsync(name);

        await cluster.StopMetaServerAsync();
        await cluster.StartMetaServerAsync().WaitAsync(Timeout);

        // The same client: its Subscribe stream reconnects and its calls reach the new server.
        var after = await client.StatAsync(name).WaitAsync(Timeout);
        Assert.Equal(before, after);
        await using var file = await client.OpenAsync(name, PfsOpenMode.Read).WaitAsync(Timeout);
        Assert.Equal(data, await TestData.ReadAllAsync(file, data.Length));
    }

    [Fact]
    public async Task MetadataSurvivesARestartOfEverythingOnNewPorts()
    {
        var dataRoot = Path.Combine(Path.GetTempPath(), "pfs-whole-" + Guid.NewGuid().ToString("N")[..12]);
        var name = UniqueName("everything");
        var data = TestData.Bytes(10 * 512, seed: 4);
        PfsFileInfo before;
        try
        {
            await using (var cluster = await PfsCluster.StartAsync(fileServers: 3, dataRoot: dataRoot, redis: garnet.ConnectionString).WaitAsync(Timeout))
            {
                await using var client = await cluster.ConnectAsync(operationTimeout: Timeout);
                await WriteAsync(client, name, data);
                before = await client.StatAsync(name);
            }

            await garnet.KillAsync();
            await garnet.StartAsync();

            // New file-server ports, as after a restart of the Aspire app: files follow their stripe positions.
            await using (var cluster = await PfsCluster.StartAsync(fileServers: 3, dataRoot: dataRoot, redis: garnet.ConnectionString).WaitAsync(Timeout))
            {
                await using var client = await cluster.ConnectAsync(operationTimeout: Timeout);
                Assert.Equal(before, await client.StatAsync(name).WaitAsync(Timeout));
                await using var file = await client.OpenAsync(name, PfsOpenMode.Read).WaitAsync(Timeout);
                Assert.Equal(data, await TestData.ReadAllAsync(file, data.Length));
            }
        }
        finally
        {
            if (!garnet.IsRunning)
            {
                await garnet.StartAsync();
            }

            Directory.Delete(dataRoot, recursive: true);
        }
    }

    [Fact]
    public async Task AMetaServerStoppedWhileAWriterHoldsAndAReaderWaitsComesBackFromRedisWithNothingHalfDone()
    {
        await using var cluster = await PfsCluster.StartAsync(fileServers: 3, redis: garnet.ConnectionString).WaitAsync(Timeout);
        await using var writerClient = await cluster.ConnectAsync(operationTimeout: TimeSpan.FromSeconds(5));
        await using var readerClient = await cluster.ConnectAsync(operationTimeout: TimeSpan.FromSeconds(5));
        var name = UniqueName("crash");
        var committed = TestData.Bytes(9 * 512, seed: 7);
        await WriteAsync(writerClient, name, committed);

        var writer = await writerClient.OpenAsync(name, PfsOpenMode.Write).WaitAsync(Timeout);
        await writer.WriteAsync(TestData.Bytes(12 * 512, seed: 8), 0);
        var waiting = readerClient.OpenAsync(name, PfsOpenMode.Read);
        await MetaProbe.WaitForWaitersAsync(cluster, name, 1);

        await cluster.StopMetaServerAsync();

        // The waiting reader hears at once that the server is gone: no hang.
        var waitError = await Assert.ThrowsAsync<PfsException>(() => waiting.WaitAsync(Timeout));
        Assert.Equal(PfsErrorCode.Unavailable, waitError.Code);

        await cluster.StartMetaServerAsync().WaitAsync(Timeout);
        await Wait.UntilAsync(() => writerClient.SessionCount >= 2, "the writer's client resubscribes", Timeout);

        // The writer's open died with the old server: its close says so and flushes nothing.
        var closeError = await Assert.ThrowsAsync<PfsException>(() => writer.CloseAsync().AsTask().WaitAsync(Timeout));
        Assert.Equal(PfsErrorCode.Closed, closeError.Code);
        await writer.CloseAsync();

        // The committed file is intact (metadata from Redis, bytes untouched), and both clients carry on.
        await using (var file = await readerClient.OpenAsync(name, PfsOpenMode.Read).WaitAsync(Timeout))
        {
            Assert.Equal(committed.Length, (await file.StatAsync()).Size);
            Assert.Equal(committed, await TestData.ReadAllAsync(file, committed.Length));
        }

        await using (var file = await writerClient.OpenAsync(name, PfsOpenMode.Write).WaitAsync(Timeout))
        {
            await file.WriteAsync("new"u8.ToArray(), 0);
        }

        Assert.Equal(committed.Length, (await readerClient.StatAsync(name)).Size);
    }

    [Fact]
    public async Task MutationsFailWithUnavailableWhileRedisIsDownAndLeaveNothingBehind()
    {
        // The Redis client logs every failed reconnect as an error; here they are the point.
        await using var cluster = await PfsCluster.StartAsync(fileServers: 3, redis: garnet.ConnectionString,
            configureMeta: builder => builder.Logging.AddFilter("StackExchange.Redis", LogLevel.None)).WaitAsync(Timeout);
        await using var client = await cluster.ConnectAsync(operationTimeout: Timeout);
        var existing = UniqueName("kept");
        var during = UniqueName("during");
        await WriteAsync(client, existing, TestData.Bytes(512, seed: 5));

        await garnet.KillAsync();
        try
        {
            var clock = Stopwatch.StartNew();
            var create = await Assert.ThrowsAsync<PfsException>(() => client.CreateAsync(during, stripeWidth: 2));
            Assert.Equal(PfsErrorCode.Unavailable, create.Code);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"create took {clock.Elapsed}");
            // A line a tool can print: not StackExchange.Redis's 1,500 characters of pool and socket state.
            Assert.Contains("the metadata store (Redis)", create.Message);
            Assert.True(create.Message.Length < 200 && !create.Message.Contains('\n'), create.Message);

            clock.Restart();
            var delete = await Assert.ThrowsAsync<PfsException>(() => client.DeleteAsync(existing));
            Assert.Equal(PfsErrorCode.Unavailable, delete.Code);
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(15), $"delete took {clock.Elapsed}");

            // Reads need no store: the registry in memory still answers.
            Assert.Equal(512, (await client.StatAsync(existing)).Size);
        }
        finally
        {
            await garnet.StartAsync();
        }

        // Nothing of the failed calls is in Redis: a fresh load sees the kept file and not the other.
        await using var redis = await ConnectionMultiplexer.ConnectAsync(garnet.ConnectionString).WaitAsync(Timeout);
        var names = (await new RedisMetadataStore(redis, NullLogger<RedisMetadataStore>.Instance)
            .LoadAsync().WaitAsync(Timeout)).Entries[Pfs.MetaServer.Registry.DirectoryNode.RootId].Select(entry => entry.Key).ToList();
        Assert.Contains(existing, names);
        Assert.DoesNotContain(during, names);

        // Once Redis is back the same server and client carry on.
        await RetryWhileUnavailableAsync(() => client.CreateAsync(during, stripeWidth: 2));
        await client.DeleteAsync(existing).WaitAsync(Timeout);
        Assert.Equal(PfsErrorCode.NotFound, (await Assert.ThrowsAsync<PfsException>(() => client.StatAsync(existing))).Code);
    }

    // Unique across runs too: the Garnet of this collection keeps every test's files.
    private static string UniqueName(string hint) => $"{hint}-{Interlocked.Increment(ref _names)}-{Guid.NewGuid().ToString("N")[..8]}";

    private static async Task WriteAsync(PfsClient client, string name, byte[] data)
    {
        await client.CreateAsync(name, stripeWidth: 3).WaitAsync(Timeout);
        await using var file = await client.OpenAsync(name, PfsOpenMode.Write).WaitAsync(Timeout);
        await file.WriteAsync(data, 0);
    }

    private static async Task RetryWhileUnavailableAsync(Func<Task> call)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                await call();
                return;
            }
            catch (PfsException ex) when (ex.Code == PfsErrorCode.Unavailable && clock.Elapsed < Timeout)
            {
                // The server's Redis connection reconnects with a backoff of its own.
                await Task.Delay(200);
            }
        }
    }
}
