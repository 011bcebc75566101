using Pfs.Client;
using Pfs.Tests.Fixtures;

namespace Pfs.Tests.Integration.Client;

[Collection(ClusterCollection.Name)]
public sealed class CacheCoherenceTests(ClusterFixture fixture)
{
    private const int Block = 512;

    [Fact]
    public async Task InvalidationDropsOnlyTheBlocksTheWriterDirtied()
    {
        var name = fixture.UniqueName("invalidate");
        await using var reader = await fixture.Cluster.ConnectAsync();
        await using var writer = await fixture.Cluster.ConnectAsync();
        await writer.CreateAsync(name, stripeWidth: 3);
        await WriteAsync(writer, name, TestData.Bytes(10 * Block, seed: 1), 0);
        await ReadAllAsync(reader, name, 10 * Block); // all 10 blocks cached by the reader
        var before = reader.Stats;

        // Dirty blocks 2 and 5 (one byte each) and nothing else.
        await using (var file = await writer.OpenAsync(name, PfsOpenMode.Write))
        {
            await file.WriteAsync(new byte[] { 0xAA }, (2 * Block) + 7);
            await file.WriteAsync(new byte[] { 0xBB }, (5 * Block) + 9);
        }

        // Opening waits until the notice is applied, so the count is exact right away.
        await using var again = await reader.OpenAsync(name, PfsOpenMode.Read);
        Assert.Equal(before.Invalidations + 2, reader.Stats.Invalidations);
        var all = await TestData.ReadAllAsync(again, 10 * Block);
        Assert.Equal(0xAA, all[(2 * Block) + 7]);
        Assert.Equal(0xBB, all[(5 * Block) + 9]);
        Assert.Equal(before.ReadHits + 8, reader.Stats.ReadHits);
    }

    [Fact]
    public async Task WriterIsNotSentItsOwnInvalidations()
    {
        var name = fixture.UniqueName("own");
        await using var client = await fixture.Cluster.ConnectAsync();
        await client.CreateAsync(name, stripeWidth: 2);
        await WriteAsync(client, name, TestData.Bytes(4 * Block, seed: 2), 0);

        await using var file = await client.OpenAsync(name, PfsOpenMode.Read);
        await TestData.ReadAllAsync(file, 4 * Block);

        Assert.Equal(0, client.Stats.Invalidations);
        Assert.Equal(4, client.Stats.ReadHits);
    }

    [Fact]
    public async Task CachedBlocksStayWarmAcrossCloseAndReopen()
    {
        var name = fixture.UniqueName("warm");
        await using var writer = await fixture.Cluster.ConnectAsync();
        await writer.CreateAsync(name, stripeWidth: 3);
        await WriteAsync(writer, name, TestData.Bytes(6 * Block, seed: 3), 0);
        await using var reader = await fixture.Cluster.ConnectAsync();

        await ReadAllAsync(reader, name, 6 * Block);
        Assert.Equal(0, reader.Stats.ReadHits);
        await ReadAllAsync(reader, name, 6 * Block);

        Assert.Equal(6, reader.Stats.ReadHits);
    }

    [Fact]
    public async Task NoStaleReadRightAfterAWriterCloses()
    {
        var name = fixture.UniqueName("stale");
        await using var reader = await fixture.Cluster.ConnectAsync();
        await using var writer = await fixture.Cluster.ConnectAsync();
        await writer.CreateAsync(name, stripeWidth: 3);
        await WriteAsync(writer, name, new byte[3 * Block], 0);

        for (var round = 1; round <= 50; round++)
        {
            // The reader caches the current bytes, the writer changes one block, and the reader
            // reopens at once: it must never see the old value from its cache.
            await ReadAllAsync(reader, name, 3 * Block);
            var block = round % 3;
            await WriteAsync(writer, name, Enumerable.Repeat((byte)round, Block).ToArray(), block * Block);

            await using var file = await reader.OpenAsync(name, PfsOpenMode.Read);
            var buffer = new byte[Block];
            await file.ReadAsync(buffer, block * Block);
            Assert.All(buffer, b => Assert.Equal((byte)round, b));
        }
    }

    [Fact]
    public async Task CountersCountBlocksExactly()
    {
        var name = fixture.UniqueName("counters");
        await using var client = await fixture.Cluster.ConnectAsync(cacheBlocks: 4);
        await client.CreateAsync(name, stripeWidth: 3);

        await using (var file = await client.OpenAsync(name, PfsOpenMode.Write))
        {
            await file.WriteAsync(TestData.Bytes(10 * Block, seed: 4), 0);   // 10 new blocks, 6 pushed out dirty
            await file.WriteAsync(new byte[2 * Block], 8 * Block);           // blocks 8, 9: cached
            await file.ReadAsync(new byte[Block], 9 * Block);                // block 9: cached
            Assert.Equal(new PfsCacheStats(ReadHits: 1, WriteHits: 2, Evictions: 6, Writebacks: 6,
                Invalidations: 0, CloseWritebacks: 0, CloseEvictions: 0), client.Stats);
        }

        Assert.Equal(4, client.Stats.CloseWritebacks);

        await using (var file = await client.OpenAsync(name, PfsOpenMode.Read))
        {
            await file.ReadAsync(new byte[10 * Block], 0); // 6..9 cached; 0..5 fetched, pushing out 6 clean blocks
        }

        Assert.Equal(new PfsCacheStats(ReadHits: 5, WriteHits: 2, Evictions: 12, Writebacks: 6,
            Invalidations: 0, CloseWritebacks: 4, CloseEvictions: 0), client.Stats);
    }

    [Fact]
    public async Task DeleteDropsOtherClientsCachedBlocks()
    {
        var name = fixture.UniqueName("delete-cache");
        await using var owner = await fixture.Cluster.ConnectAsync();
        await using var reader = await fixture.Cluster.ConnectAsync();
        await owner.CreateAsync(name, stripeWidth: 3);
        await WriteAsync(owner, name, TestData.Bytes(5 * Block, seed: 5), 0);
        await ReadAllAsync(reader, name, 5 * Block);

        await owner.DeleteAsync(name);
        await owner.CreateAsync(name, stripeWidth: 3);

        // The notice may still be in flight, but the new file has a new generation: nothing
        // cached of the old one can be read for it.
        await using var file = await reader.OpenAsync(name, PfsOpenMode.Read);
        Assert.Equal(0, await file.ReadAsync(new byte[Block], 0));
        Assert.Equal(0, (await file.StatAsync()).Size);
        await Wait.UntilAsync(() => reader.Stats.CloseEvictions >= 5, "the reader drops the deleted file's blocks");
    }

    private static async Task WriteAsync(PfsClient client, string name, byte[] data, long offset)
    {
        await using var file = await client.OpenAsync(name, PfsOpenMode.Write);
        await file.WriteAsync(data, offset);
    }

    private static async Task<byte[]> ReadAllAsync(PfsClient client, string name, int size)
    {
        await using var file = await client.OpenAsync(name, PfsOpenMode.Read);
        return await TestData.ReadAllAsync(file, size);
    }
}
