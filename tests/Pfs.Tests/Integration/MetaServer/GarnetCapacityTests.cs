using Pfs.Tests.Fixtures;
using StackExchange.Redis;

namespace Pfs.Tests.Integration.MetaServer;

/// <summary>
/// The metadata store keeps every key however much it holds: Pfs.Garnet given far less memory than
/// its data (4 MiB for 48 MiB) still answers every key written, because records beyond memory go
/// to its data directory rather than being dropped as a cache would drop them.
/// </summary>
public sealed class GarnetCapacityTests
{
    [Fact]
    public async Task KeysBeyondTheStoresMemoryAreKeptOnDiskAndAllReadBack()
    {
        const int Keys = 12_000;
        var value = new string('v', 4096);
        var garnet = new GarnetProcess(Path.Combine(Path.GetTempPath(), "pfs-garnet-cap-" + Guid.NewGuid().ToString("N")[..12]), "--memory", "4m");
        try
        {
            await garnet.StartAsync();
            Assert.Equal(0, await MissingAfterWritingAsync(garnet, Keys, value));
        }
        finally
        {
            await garnet.DisposeAsync();
        }
    }

    private static async Task<int> MissingAfterWritingAsync(GarnetProcess garnet, int keys, string value)
    {
        await using var redis = await ConnectionMultiplexer.ConnectAsync(garnet.ConnectionString);
        var db = redis.GetDatabase();

        foreach (var chunk in Enumerable.Range(0, keys).Chunk(500))
        {
            await Task.WhenAll(chunk.Select(i => db.StringSetAsync($"pfs:test:{i}", $"{i}:{value}")));
        }

        var missing = 0;
        foreach (var chunk in Enumerable.Range(0, keys).Chunk(500))
        {
            var values = await Task.WhenAll(chunk.Select(i => db.StringGetAsync($"pfs:test:{i}")));
            missing += chunk.Zip(values).Count(pair => pair.Second != $"{pair.First}:{value}");
        }

        return missing;
    }
}
