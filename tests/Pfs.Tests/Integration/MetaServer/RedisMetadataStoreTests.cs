using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Pfs.MetaServer;
using Pfs.MetaServer.Persistence;
using Pfs.MetaServer.Registry;
using Pfs.Tests.Fixtures;
using StackExchange.Redis;

namespace Pfs.Tests.Integration.MetaServer;

/// <summary>The Redis store (layout 2) against a real Redis-protocol server (Garnet); each test has its own key prefix.</summary>
[Collection(GarnetCollection.Name)]
public sealed class RedisMetadataStoreTests(GarnetProcess garnet) : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private readonly string _prefix = $"test-{Guid.NewGuid():N}:";
    private ConnectionMultiplexer _redis = null!;

    public async Task InitializeAsync() => _redis = await ConnectAsync();

    public async Task DisposeAsync() => await _redis.DisposeAsync();

    [Fact]
    public async Task ANewStoreGetsARootDirectoryAndLayoutTwo()
    {
        var loaded = await Store().LoadAsync().WaitAsync(Timeout);

        var root = Assert.IsType<DirectoryNode>(NodeFields.Parse(DirectoryNode.RootId, Assert.Single(loaded.Nodes).Value));
        Assert.Equal(0x1EDu, root.Mode);
        Assert.Empty(loaded.Entries);
        Assert.Equal("2", (string?)await Db.StringGetAsync(_prefix + "layout"));
    }

    [Fact]
    public async Task ChangesApplyAsOneStepAndALoadWalksFromTheRoot()
    {
        var store = Store();
        await store.LoadAsync().WaitAsync(Timeout);
        var directory = Directory(10, "d");
        var file = File(11);

        await store.ApplyAsync(new StoreChange().SetNode(10, NodeFields.All(directory)).SetEntry(DirectoryNode.RootId, "d", 10)).WaitAsync(Timeout);
        await store.ApplyAsync(new StoreChange().SetNode(11, NodeFields.All(file)).SetEntry(10, "f", 11).SetEntry(DirectoryNode.RootId, "g", 11)).WaitAsync(Timeout);
        await store.ApplyAsync(new StoreChange().SetNode(11, NodeFields.FileContent(file with { Size = 777, Version = 2 }))).WaitAsync(Timeout);
        var loaded = await Store().LoadAsync().WaitAsync(Timeout);

        Assert.Equal([DirectoryNode.RootId, 10UL, 11UL], loaded.Nodes.Keys.Order());
        Assert.Equal(["d", "g"], loaded.Entries[DirectoryNode.RootId].Select(e => e.Key).Order(StringComparer.Ordinal));
        Assert.Equal(KeyValuePair.Create("f", 11UL), Assert.Single(loaded.Entries[10]));
        var stored = Assert.IsType<FileNode>(NodeFields.Parse(11, loaded.Nodes[11]));
        Assert.Equal((777L, 2UL, file.Created), (stored.Size, stored.Version, stored.Created));
        Assert.Empty(loaded.Dangling);
    }

    [Fact]
    public async Task OrphansAndReclaimEntriesAreLoaded()
    {
        var store = Store();
        await store.LoadAsync().WaitAsync(Timeout);
        await store.ApplyAsync(new StoreChange().SetNode(31, NodeFields.All(File(31))).AddOrphan(31).AddReclaim(32, "2 1 gone")).WaitAsync(Timeout);

        var loaded = await store.LoadAsync().WaitAsync(Timeout);

        Assert.Equal([31UL], loaded.Orphans);
        Assert.True(loaded.Nodes.ContainsKey(31));
        Assert.Equal("2 1 gone", loaded.Reclaim[32]);
        Assert.Equal((3, "gone"), NodeFields.ParseReclaim(loaded.Reclaim[32]));
    }

    [Fact]
    public async Task InodesKeepGrowingAcrossStoresAndAreNeverHandedOutTwice()
    {
        var store = Store();
        await store.LoadAsync().WaitAsync(Timeout);
        var first = await store.AllocateIdsAsync(64).WaitAsync(Timeout);

        await using var other = await ConnectAsync();
        var next = await Store(other).AllocateIdsAsync(64).WaitAsync(Timeout);

        Assert.True(first > 1UL << 40, $"ids start from the clock, not {first}");
        Assert.Equal(first + 64, next);
    }

    [Fact]
    public async Task AVersionOneStoreIsMigratedIntoTheRootEvenAfterAnInterruptedRun()
    {
        // Four version-1 records; the first two were moved by a run that crashed before it finished.
        var v1 = Enumerable.Range(0, 4).Select(i => (Name: $"old-{i}.bin", Id: 1000UL + (ulong)i)).ToList();
        foreach (var (name, id) in v1)
        {
            await Db.HashSetAsync(_prefix + "file:" + name, [new("id", id), new("size", 100 + (int)id), new("created", 5000), new("modified", 6000),
                new("block", 4096), new("width", 2), new("servers", "http://a:1 http://b:2"), new("version", 3), new("pending", string.Empty)]);
            await Db.SetAddAsync(_prefix + "files", name);
        }

        var interrupted = Store();
        await Db.HashSetAsync(_prefix + "ino:1", [.. NodeFields.All(NodeFields.NewRoot(DateTimeOffset.UtcNow)).Select(f => new HashEntry(f.Key, f.Value))]);
        foreach (var (name, id) in v1.Take(2))
        {
            var node = File(id) with { Size = 100 + (long)id, Mode = 0x1A4 };
            await interrupted.ApplyAsync(new StoreChange().SetNode(id, NodeFields.All(node)).SetEntry(DirectoryNode.RootId, name, id));
            await Db.KeyDeleteAsync(_prefix + "file:" + name);
            await Db.SetRemoveAsync(_prefix + "files", name);
        }

        var loaded = await Store().LoadAsync().WaitAsync(Timeout);

        Assert.Equal(v1.Select(f => KeyValuePair.Create(f.Name, f.Id)), loaded.Entries[DirectoryNode.RootId].OrderBy(e => e.Key, StringComparer.Ordinal));
        foreach (var (_, id) in v1.Skip(2))
        {
            var file = Assert.IsType<FileNode>(NodeFields.Parse(id, loaded.Nodes[id]));
            Assert.Equal((100 + (long)id, 4096, 2, 3UL, 0x1A4u), (file.Size, file.BlockSize, file.StripeWidth, file.Version, file.Mode));
            Assert.Equal((5000L, 6000L, 6000L, 6000L), (file.Created.ToUnixTimeMilliseconds(), file.Modified.ToUnixTimeMilliseconds(),
                file.Changed.ToUnixTimeMilliseconds(), file.Accessed.ToUnixTimeMilliseconds()));
        }

        Assert.Equal(2, loaded.Migrated);
        Assert.False(await Db.KeyExistsAsync(_prefix + "files"));
        Assert.False(await Db.KeyExistsAsync(_prefix + "file:old-3.bin"));
        Assert.Equal("2", (string?)await Db.StringGetAsync(_prefix + "layout"));
    }

    [Fact]
    public async Task AcknowledgedChangesSurviveAGarnetCrash()
    {
        var store = Store();
        await store.LoadAsync().WaitAsync(Timeout);
        for (var i = 0; i < 20; i++)
        {
            var id = 100 + (ulong)i;
            await store.ApplyAsync(new StoreChange().SetNode(id, NodeFields.All(File(id))).SetEntry(DirectoryNode.RootId, $"crash-{i}", id)).WaitAsync(Timeout);
        }

        await _redis.DisposeAsync();
        await garnet.KillAsync();
        await garnet.StartAsync();
        _redis = await ConnectAsync();

        var loaded = await Store().LoadAsync().WaitAsync(Timeout);
        Assert.Equal(20, loaded.Entries[DirectoryNode.RootId].Count);
        Assert.Equal(21, loaded.Nodes.Count);
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

    private IDatabase Db => _redis.GetDatabase();

    private RedisMetadataStore Store(IConnectionMultiplexer? redis = null) =>
        new(redis ?? _redis, NullLogger<RedisMetadataStore>.Instance, _prefix);

    private async Task<ConnectionMultiplexer> ConnectAsync()
    {
        var configuration = ConfigurationOptions.Parse(garnet.ConnectionString);
        configuration.AbortOnConnectFail = false;
        return await ConnectionMultiplexer.ConnectAsync(configuration).WaitAsync(Timeout);
    }

    private static FileNode File(ulong id)
    {
        var now = Node.Truncate(DateTimeOffset.UtcNow);
        return new FileNode
        {
            Id = id, Mode = 0x1A4, Created = now, Modified = now, Changed = now, Accessed = now,
            BlockSize = 512, StripeWidth = 2, Servers = ["http://fs0:1", "http://fs1:2"],
        };
    }

    private static DirectoryNode Directory(ulong id, string name)
    {
        var now = Node.Truncate(DateTimeOffset.UtcNow);
        return new DirectoryNode { Id = id, Parent = DirectoryNode.RootId, Name = name, Mode = 0x1ED, Created = now, Modified = now, Changed = now, Accessed = now };
    }
}
