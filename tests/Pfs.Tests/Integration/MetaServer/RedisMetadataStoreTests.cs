using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Pfs.MetaServer;
using Pfs.MetaServer.Persistence;
using Pfs.MetaServer.Registry;
using Pfs.Tests.Fixtures;
using StackExchange.Redis;

namespace Pfs.Tests.Integration.MetaServer;

/// <summary>The Redis store against a real Redis-protocol server (Garnet); each test has its own key prefix.</summary>
[Collection(GarnetCollection.Name)]
public sealed class RedisMetadataStoreTests(GarnetProcess garnet) : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);
    private static readonly MetaServerOptions Options = new MetaServerOptions { FileServers = ["fs0:1", "fs1:2", "fs2:3"] };

    private readonly string _prefix = $"test-{Guid.NewGuid():N}:";
    private ConnectionMultiplexer _redis = null!;

    public async Task InitializeAsync() => _redis = await ConnectAsync();

    public async Task DisposeAsync() => await _redis.DisposeAsync();

    [Fact]
    public async Task CreateNeverOverwritesAnExistingName()
    {
        var store = Store();
        var first = Record("a", fileId: 11);

        Assert.True(await store.CreateAsync(first).WaitAsync(Timeout));
        Assert.False(await store.CreateAsync(Record("a", fileId: 12) with { Size = 99 }).WaitAsync(Timeout));

        var stored = Assert.Single(await store.LoadAllAsync().WaitAsync(Timeout));
        AssertSame(first, stored);
    }

    [Fact]
    public async Task UpdateAndDeleteApplyOnlyToTheSameFileId()
    {
        var store = Store();
        var record = Record("b", fileId: 21);
        await store.CreateAsync(record).WaitAsync(Timeout);

        await store.UpdateAsync(record with { FileId = 22, Size = 1000 }).WaitAsync(Timeout);
        await store.DeleteAsync("b", fileId: 22).WaitAsync(Timeout);
        AssertSame(record, Assert.Single(await store.LoadAllAsync().WaitAsync(Timeout)));

        var pending = record with { Size = 2048, Version = 2, PendingCommits = [7, 9] };
        await store.UpdateAsync(pending).WaitAsync(Timeout);
        AssertSame(pending, Assert.Single(await store.LoadAllAsync().WaitAsync(Timeout)));

        var updated = record with { Size = 4096, Modified = record.Modified.AddSeconds(5), Version = 3 };
        await store.UpdateAsync(updated).WaitAsync(Timeout);
        AssertSame(updated, Assert.Single(await store.LoadAllAsync().WaitAsync(Timeout)));

        await store.DeleteAsync("b", fileId: 21).WaitAsync(Timeout);
        Assert.Empty(await store.LoadAllAsync().WaitAsync(Timeout));
        Assert.True(await store.CreateAsync(Record("b", fileId: 23)).WaitAsync(Timeout));
    }

    [Fact]
    public async Task FileIdsKeepGrowingAcrossStoresAndAboveSeededRecords()
    {
        var store = Store();
        await store.LoadAllAsync().WaitAsync(Timeout);
        var first = await store.NextFileIdAsync().WaitAsync(Timeout);
        await store.CreateAsync(Record("seeded", fileId: first + 1000)).WaitAsync(Timeout);

        await using var other = await ConnectAsync();
        var next = await Store(other).NextFileIdAsync().WaitAsync(Timeout);

        Assert.True(next > first + 1000, $"id {next} after {first} and a seeded {first + 1000}");
    }

    [Fact]
    public async Task FilesFollowTheirStripePositionWhenTheServersMove()
    {
        await Store().CreateAsync(Record("moved", fileId: 31)).WaitAsync(Timeout);
        var elsewhere = new MetaServerOptions { FileServers = ["new0:7", "new1:8", "new2:9"] };

        var loaded = Assert.Single(await Store(options: elsewhere).LoadAllAsync().WaitAsync(Timeout));

        Assert.Equal(["http://new0:7", "http://new1:8"], loaded.Servers);
    }

    [Fact]
    public async Task AcknowledgedRecordsSurviveAGarnetCrash()
    {
        var store = Store();
        await store.LoadAllAsync().WaitAsync(Timeout);
        var records = Enumerable.Range(0, 20).Select(i => Record($"crash-{i}", fileId: 100 + (ulong)i)).ToList();
        foreach (var record in records)
        {
            Assert.True(await store.CreateAsync(record).WaitAsync(Timeout));
        }

        await _redis.DisposeAsync();
        await garnet.KillAsync();
        await garnet.StartAsync();
        _redis = await ConnectAsync();

        var loaded = await Store().LoadAllAsync().WaitAsync(Timeout);
        Assert.Equal(records.Count, loaded.Count);
        foreach (var record in records)
        {
            AssertSame(record, loaded.Single(r => r.Name == record.Name));
        }
    }

    [Fact]
    public async Task BuildWithARedisConnectionUsesTheDurableRedisStore()
    {
        var options = new MetaServerOptions { Port = 0, BindAddress = "127.0.0.1", FileServers = ["localhost:1"], Redis = garnet.ConnectionString, ClusterKey = TestCaps.Key };

        await using var app = MetaServerApp.Build(options, configure: builder => builder.Logging.SetMinimumLevel(LogLevel.Warning));

        var store = app.Services.GetRequiredService<IMetadataStore>();
        Assert.IsType<RedisMetadataStore>(store);
        Assert.True(store.IsDurable);
    }

    private RedisMetadataStore Store(IConnectionMultiplexer? redis = null, MetaServerOptions? options = null) =>
        new(redis ?? _redis, options ?? Options, NullLogger<RedisMetadataStore>.Instance, _prefix);

    private async Task<ConnectionMultiplexer> ConnectAsync()
    {
        var configuration = ConfigurationOptions.Parse(garnet.ConnectionString);
        configuration.AbortOnConnectFail = false;
        return await ConnectionMultiplexer.ConnectAsync(configuration).WaitAsync(Timeout);
    }

    private static FileRecord Record(string name, ulong fileId)
    {
        var now = FileRecord.Truncate(DateTimeOffset.UtcNow);
        return new FileRecord(name, fileId, 0, now, now, 512, 2, ["http://fs0:1", "http://fs1:2"], FileRecord.InitialVersion);
    }

    private static void AssertSame(FileRecord expected, FileRecord actual)
    {
        Assert.Equal(expected with { Servers = [], PendingCommits = [] }, actual with { Servers = [], PendingCommits = [] });
        Assert.Equal(expected.Servers, actual.Servers);
        Assert.Equal(expected.PendingCommits, actual.PendingCommits);
    }
}
