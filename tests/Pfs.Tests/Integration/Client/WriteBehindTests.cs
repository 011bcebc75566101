using Pfs.Client;
using Pfs.LocalCluster;
using Pfs.Tests.Fixtures;

namespace Pfs.Tests.Integration.Client;

/// <summary>
/// Writes whose evicted dirty blocks are written back behind the caller's back (write-behind):
/// the same bytes and the same cache counters as writes that wait, reads of blocks whose
/// write-back is in flight, overwrites of them, and a failed write-back.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class WriteBehindTests(ClusterFixture fixture)
{
    private const int Block = 512;

    [Fact]
    public async Task BlocksWrittenBehindReadBackFromTheWriterAndAfterClose()
    {
        var name = fixture.UniqueName("behind");
        await using var client = await ConnectAsync(fixture.Cluster, cacheBlocks: 4, writeBehindBytes: 16 * Block);
        await client.CreateAsync(name, stripeWidth: 3);
        var data = TestData.Bytes(32 * Block, seed: 11);

        await using (var file = await client.OpenAsync(name, PfsOpenMode.Write))
        {
            // One block per write: every write from the fifth on pushes out a dirty block.
            for (var block = 0; block < 32; block++)
            {
                await file.WriteAsync(data.AsMemory(block * Block, Block), block * Block);
            }

            // The writer reads its own bytes back while some write-backs may still be in flight.
            Assert.Equal(data, await TestData.ReadAllAsync(file, data.Length));
        }

        var stats = client.Stats;
        Assert.Equal(32, stats.Writebacks + stats.CloseWritebacks);
        await using var other = await fixture.Cluster.ConnectAsync();
        await using var reader = await other.OpenAsync(name, PfsOpenMode.Read);
        Assert.Equal(data, await TestData.ReadAllAsync(reader, data.Length));
    }

    [Fact]
    public async Task OverwritesOfBlocksInFlightKeepTheNewestBytes()
    {
        var name = fixture.UniqueName("overwrite");
        await using var client = await ConnectAsync(fixture.Cluster, cacheBlocks: 3, writeBehindBytes: 8 * Block);
        await client.CreateAsync(name, stripeWidth: 2);
        var expected = new byte[24 * Block];

        await using (var file = await client.OpenAsync(name, PfsOpenMode.Write))
        {
            for (var round = 0; round < 3; round++)
            {
                for (var block = 0; block < 24; block++)
                {
                    // Whole blocks, then pieces inside blocks (merged with what the block held), then
                    // pieces across block boundaries: every one may meet its block's write-back in flight.
                    var (offset, length) = round switch
                    {
                        0 => (block * Block, Block),
                        1 => ((block * Block) + 100, 200),
                        _ => ((block * Block) + 400, 300),
                    };
                    length = Math.Min(length, expected.Length - offset);
                    var piece = TestData.Bytes(length, seed: (round * 100) + block);
                    piece.CopyTo(expected, offset);
                    await file.WriteAsync(piece, offset);
                }
            }

            Assert.Equal(expected, await TestData.ReadAllAsync(file, expected.Length));
        }

        await using var other = await fixture.Cluster.ConnectAsync();
        await using var reader = await other.OpenAsync(name, PfsOpenMode.Read);
        Assert.Equal(expected, await TestData.ReadAllAsync(reader, expected.Length));
    }

    [Fact]
    public async Task CountersAreTheSameWithAndWithoutWriteBehind()
    {
        var data = TestData.Bytes(40 * Block, seed: 12);
        var stats = new List<PfsCacheStats>();
        foreach (var behind in new long[] { 0, 6 * Block, 1024 * 1024 })
        {
            var name = fixture.UniqueName("counters");
            await using var client = await ConnectAsync(fixture.Cluster, cacheBlocks: 5, writeBehindBytes: behind);
            await client.CreateAsync(name, stripeWidth: 3);
            await using (var file = await client.OpenAsync(name, PfsOpenMode.Write))
            {
                // Writes of 1 to 3 blocks, some ending inside a block. (A read or a rewrite could
                // find a block cached only because its write-back is still in flight: a hit that
                // depends on timing, so not here.)
                var offset = 0;
                for (var k = 0; offset < data.Length; k++)
                {
                    var length = Math.Min(((k % 3) + 1) * Block - (k % 2 * 100), data.Length - offset);
                    await file.WriteAsync(data.AsMemory(offset, length), offset);
                    offset += length;
                }
            }

            stats.Add(client.Stats);
        }

        Assert.Equal(stats[0], stats[1]);
        Assert.Equal(stats[0], stats[2]);
        Assert.Equal(35, stats[0].Writebacks);
        Assert.Equal(35, stats[0].Evictions);
        Assert.Equal(5, stats[0].CloseWritebacks);
    }

    [Fact]
    public async Task FailedWriteBehindIsReportedByALaterWriteAndTheCloseStillLandsTheBytes()
    {
        await using var cluster = await PfsCluster.StartAsync(fileServers: 3);
        // Short enough that the write-back to the stopped server gives up soon, long enough for the
        // close to reach the restarted one through its reconnect backoff on a busy machine.
        await using var client = await ConnectAsync(cluster, cacheBlocks: 2, writeBehindBytes: Block, operationTimeout: TimeSpan.FromSeconds(5));
        await client.CreateAsync("f", stripeWidth: 3);
        var data = TestData.Bytes(6 * Block, seed: 13);

        await using var file = await client.OpenAsync("f", PfsOpenMode.Write);
        await cluster.StopFileServerAsync(0);

        // Block 2 pushes out block 0 (on the stopped server 0), whose write-back then fails behind;
        // block 3 waits for it (the bound is one block) and block 4 hears of the failure.
        await file.WriteAsync(data.AsMemory(0, 2 * Block), 0);
        await file.WriteAsync(data.AsMemory(2 * Block, Block), 2 * Block);
        await file.WriteAsync(data.AsMemory(3 * Block, Block), 3 * Block);
        var error = await Assert.ThrowsAsync<PfsException>(() => file.WriteAsync(data.AsMemory(4 * Block, 2 * Block), 4 * Block).AsTask());
        Assert.Equal(PfsErrorCode.Unavailable, error.Code);

        // The failed write did nothing; done again once the server is back, and the close writes
        // block 0 (still dirty in the cache) with the rest.
        await cluster.StartFileServerAsync(0);
        await file.WriteAsync(data.AsMemory(4 * Block, 2 * Block), 4 * Block);
        await file.CloseAsync();

        await using var other = await cluster.ConnectAsync();
        await using var reader = await other.OpenAsync("f", PfsOpenMode.Read);
        Assert.Equal(data, await TestData.ReadAllAsync(reader, data.Length));
    }

    [Fact]
    public async Task AFailedWriteOfBlocksTheCachePushedOutAtOnceIsReportedAndTheCloseStillLandsThem()
    {
        await using var cluster = await PfsCluster.StartAsync(fileServers: 2);
        await using var client = await ConnectAsync(cluster, cacheBlocks: 2, writeBehindBytes: 64 * Block, operationTimeout: TimeSpan.FromSeconds(2));
        await client.CreateAsync("g", stripeWidth: 2);
        var data = TestData.Bytes(20 * Block, seed: 14);

        await using var file = await client.OpenAsync("g", PfsOpenMode.Write);
        await cluster.StopFileServerAsync(1);

        // 10 blocks through a 2-block cache: 8 leave at once and go behind from a copy (the
        // caller's buffer is scribbled over right after), half of them to the stopped server.
        var buffer = data[..(10 * Block)];
        await file.WriteAsync(buffer, 0);
        Array.Clear(buffer);

        // Reading blocks whose write is in flight waits for it; the next write hears of the failure.
        var early = new byte[Block];
        await file.ReadAsync(early, 0);
        Assert.Equal(data[..Block], early);
        var error = await Assert.ThrowsAsync<PfsException>(() => file.WriteAsync(data.AsMemory(10 * Block, 10 * Block), 10 * Block).AsTask());
        Assert.Equal(PfsErrorCode.Unavailable, error.Code);

        await cluster.StartFileServerAsync(1);
        await file.WriteAsync(data.AsMemory(10 * Block, 10 * Block), 10 * Block);
        Assert.Equal(data, await TestData.ReadAllAsync(file, data.Length));
        await file.CloseAsync();

        await using var other = await cluster.ConnectAsync();
        await using var reader = await other.OpenAsync("g", PfsOpenMode.Read);
        Assert.Equal(data, await TestData.ReadAllAsync(reader, data.Length));
    }

    [Theory]
    [InlineData(0, 16)]          // aligned: every block whole, none cached
    [InlineData(1000, 200_000)]  // a partial block at each end goes through the cache
    public async Task LargeBlocksAWriteCoversWholeBypassTheCacheAndReadBackEverywhere(int offset, int length)
    {
        var name = fixture.UniqueName("bypass");
        const int large = 64 * 1024;
        await using var client = await ConnectAsync(fixture.Cluster, cacheBlocks: 128, writeBehindBytes: 16 * 1024 * 1024);
        await client.CreateAsync(name, stripeWidth: 3, blockSize: large);
        var count = length == 16 ? 16 * large : length;
        var data = TestData.Bytes(count, seed: 21);
        var whole = (int)((((long)offset + count) / large) - ((offset + large - 1) / large));

        await using (var file = await client.OpenAsync(name, PfsOpenMode.Write))
        {
            await file.WriteAsync(data, offset);
            var stats = client.Stats;
            Assert.Equal(whole, stats.Evictions);
            Assert.Equal(whole, stats.Writebacks);

            // The writer reads its bytes back (the bypassed blocks from the servers, through its stage).
            var back = new byte[count];
            Assert.Equal(count, await file.ReadAsync(back, offset));
            Assert.Equal(data, back);
        }

        Assert.Equal(whole, client.Stats.Writebacks);
        await using var other = await fixture.Cluster.ConnectAsync();
        await using var reader = await other.OpenAsync(name, PfsOpenMode.Read);
        var seen = new byte[count];
        Assert.Equal(count, await reader.ReadAsync(seen, offset));
        Assert.Equal(data, seen);
        Assert.Equal(offset + count, (await reader.StatAsync()).Size);
    }

    [Fact]
    public async Task AWholeLargeBlockThatIsCachedIsWrittenThroughTheCache()
    {
        var name = fixture.UniqueName("cachedlarge");
        const int large = 64 * 1024;
        await using var client = await ConnectAsync(fixture.Cluster, cacheBlocks: 128, writeBehindBytes: 16 * 1024 * 1024);
        await client.CreateAsync(name, stripeWidth: 2, blockSize: large);

        await using (var file = await client.OpenAsync(name, PfsOpenMode.Write))
        {
            await file.WriteAsync(new byte[10], 5);
            var data = TestData.Bytes(large, seed: 3);
            await file.WriteAsync(data, 0);
            var stats = client.Stats;
            Assert.Equal((0L, 1L), (stats.Evictions, stats.WriteHits));
        }

        Assert.Equal(1, client.Stats.CloseWritebacks);
    }

    private static Task<PfsClient> ConnectAsync(PfsCluster cluster, int cacheBlocks, long writeBehindBytes, TimeSpan? operationTimeout = null) =>
        PfsClient.ConnectAsync(new PfsClientOptions
        {
            ClientId = $"behind-{Guid.NewGuid():N}",
            MetaServer = cluster.MetaServerAddress,
            CacheBlocks = cacheBlocks,
            WriteBehindBytes = writeBehindBytes,
            OperationTimeout = operationTimeout ?? TimeSpan.FromSeconds(30),
        });
}
