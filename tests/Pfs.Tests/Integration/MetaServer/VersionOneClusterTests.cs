using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using Pfs.Client;
using Pfs.MetaServer.Persistence;
using Pfs.Tests.Fixtures;
using StackExchange.Redis;

namespace Pfs.Tests.Integration.MetaServer;

/// <summary>
/// A cluster written by the first version (TestData/v1-cluster.tar.gz: Garnet's AOF with the flat store,
/// three file servers' data directories, and the files' SHA-256), opened by this version: Garnet replays
/// its AOF, the file servers move their objects to the new layout, and the metadata server migrates the
/// store into the root directory (also when a first attempt dies halfway).
/// </summary>
public sealed class VersionOneClusterTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private readonly string _root = Directory.CreateTempSubdirectory("pfs-v1-").FullName;
    private Dictionary<string, string> _expected = [];
    private ProcessCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        await using (var archive = File.OpenRead(Path.Combine(AppContext.BaseDirectory, "TestData", "v1-cluster.tar.gz")))
        await using (var tar = new GZipStream(archive, CompressionMode.Decompress))
        {
            await TarFile.ExtractToDirectoryAsync(tar, _root, overwriteFiles: false);
        }

        var data = Path.Combine(_root, "data");
        _expected = (await File.ReadAllLinesAsync(Path.Combine(data, "EXPECTED.sha256")))
            .Where(line => line.Length > 0)
            .Select(line => line.Split("  ", 2))
            .ToDictionary(parts => parts[1], parts => parts[0].ToUpperInvariant(), StringComparer.Ordinal);
        var garnet = new GarnetProcess(Path.Combine(data, "redis"));
        _cluster = await ProcessCluster.StartAsync(_root, [.. Enumerable.Range(0, 3).Select(i => Path.Combine(data, $"fs{i}"))], garnet);
    }

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task EveryFileOfTheFirstVersionIsInTheRootAndReadsBackByteForByte()
    {
        await _cluster.StartMetaAsync();

        await AssertEveryFileReadsBackAsync();
        Assert.Contains($"{_expected.Count} migrated from version 1", _cluster.Meta!.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task AMigrationCutOffHalfwayIsFinishedByTheNextStart()
    {
        await _cluster.StartMetaAsync(RedisMetadataStore.MigrationCrashPoint, waitUntilListening: false);
        await _cluster.WaitForMetaCrashAsync(RedisMetadataStore.MigrationCrashPoint);
        await using (var redis = await ConnectionMultiplexer.ConnectAsync(_cluster.Garnet.ConnectionString))
        {
            var db = redis.GetDatabase();
            Assert.False(await db.KeyExistsAsync("pfs:layout"));
            Assert.Equal(_expected.Count / 2, await db.SetLengthAsync("pfs:files"));
            Assert.Equal(_expected.Count - (_expected.Count / 2), await db.HashLengthAsync("pfs:dir:1"));
        }

        await _cluster.StartMetaAsync();

        await AssertEveryFileReadsBackAsync();
    }

    private async Task AssertEveryFileReadsBackAsync()
    {
        await using var client = await _cluster.ConnectAsync("v1-reader", Timeout);
        var root = await client.ListAsync("").ToListAsync();
        Assert.Equal(_expected.Keys.Order(StringComparer.Ordinal), root.Select(entry => entry.Name).Order(StringComparer.Ordinal));
        Assert.Equal(root.Select(entry => entry.Name).Order(StringComparer.Ordinal), (await client.ListAsync()).Select(entry => entry.Name));
        foreach (var entry in root)
        {
            Assert.Equal((PfsEntryKind.File, 1u, 0x1A4u), (entry.Kind, entry.LinkCount, entry.Mode));
            await using var file = await client.OpenAsync(entry.Name, PfsOpenMode.Read).WaitAsync(Timeout);
            var bytes = await TestData.ReadAllAsync(file, entry.Size);
            Assert.Equal(_expected[entry.Name], Convert.ToHexString(SHA256.HashData(bytes)));
        }
    }
}
