using Pfs.Client;
using Pfs.LocalCluster;
using Pfs.Tests.Fixtures;

namespace Pfs.Tests.Integration.Client;

/// <summary>
/// Read-ahead: a sequential reader's next blocks are fetched before it asks for them, and used;
/// random reads fetch nothing ahead; the window stays within its bound; what a read returns is
/// the file's bytes either way.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class ReadAheadTests(ClusterFixture fixture)
{
    private const int Block = 4096;

    [Fact]
    public async Task ASequentialReaderWithReadsSmallerThanTheStripeFindsItsBlocksFetchedAhead()
    {
        var name = fixture.UniqueName("ahead-seq");
        var data = await CreateAsync(name, blocks: 256, width: 3);
        await using var client = await ConnectAsync(fixture.Cluster, cacheBlocks: 64, readAheadBytes: 4 * Block);

        // Two blocks per read, fewer than the stripe of three: without read-ahead every read would be a miss.
        var read = new byte[data.Length];
        await using (var file = await client.OpenAsync(name, PfsOpenMode.Read))
        {
            for (var offset = 0; offset < data.Length; offset += 2 * Block)
            {
                Assert.Equal(2 * Block, await file.ReadAsync(read.AsMemory(offset, 2 * Block), offset));
            }
        }

        Assert.Equal(data, read);
        var stats = client.Stats;
        // Only the first read (blocks 0 and 1) is fetched by the reader itself; each read waits for
        // the fetch ahead that covers its blocks, so every block after them was fetched ahead and used.
        Assert.Equal(254, stats.ReadAheadBlocks);
        Assert.Equal(0, stats.ReadAheadUnused);
        Assert.Equal(254, stats.ReadHits);
    }

    [Fact]
    public async Task RandomReadsFetchNothingAhead()
    {
        var name = fixture.UniqueName("ahead-random");
        var data = await CreateAsync(name, blocks: 256, width: 3);
        await using var client = await ConnectAsync(fixture.Cluster, cacheBlocks: 64, readAheadBytes: 4 * Block);

        var random = new Random(5);
        var buffer = new byte[Block];
        var previousEnd = -1L;
        await using (var file = await client.OpenAsync(name, PfsOpenMode.Read))
        {
            for (var i = 0; i < 200; i++)
            {
                long offset;
                do
                {
                    // Never where the last read ended (that would be a sequential read), never at 0 (where a new open is expected to start).
                    offset = (random.Next(1, 256) * (long)Block) + random.Next(0, 2);
                }
                while (offset == previousEnd || offset + Block > data.Length);

                Assert.Equal(Block, await file.ReadAsync(buffer, offset));
                Assert.True(data.AsSpan((int)offset, Block).SequenceEqual(buffer), $"read at {offset}");
                previousEnd = offset + Block;
            }
        }

        Assert.Equal(0, client.Stats.ReadAheadBlocks);
    }

    [Fact]
    public async Task TheWindowStaysWithinHalfTheCacheAndNothingFetchedAheadIsWasted()
    {
        var name = fixture.UniqueName("ahead-bound");
        var data = await CreateAsync(name, blocks: 512, width: 3);
        // A window of 1 MiB per server would be 768 blocks; half the cache is 8.
        await using var client = await ConnectAsync(fixture.Cluster, cacheBlocks: 16, readAheadBytes: 1024 * 1024);

        var read = new byte[data.Length];
        await using (var file = await client.OpenAsync(name, PfsOpenMode.Read))
        {
            for (var offset = 0; offset < data.Length; offset += Block)
            {
                await file.ReadAsync(read.AsMemory(offset, Block), offset);
                Assert.True(client.Cache.Count <= 16, $"{client.Cache.Count} blocks cached at offset {offset}");
            }
        }

        Assert.Equal(data, read);
        var stats = client.Stats;
        Assert.Equal(511, stats.ReadAheadBlocks);
        Assert.Equal(0, stats.ReadAheadUnused);
    }

    [Fact]
    public async Task AWriterAndAClientWithReadAheadOffReadNothingAhead()
    {
        var name = fixture.UniqueName("ahead-off");
        var data = await CreateAsync(name, blocks: 64, width: 3);
        await using var off = await ConnectAsync(fixture.Cluster, cacheBlocks: 64, readAheadBytes: 0);
        await using (var file = await off.OpenAsync(name, PfsOpenMode.Read))
        {
            var read = new byte[data.Length];
            for (var offset = 0; offset < data.Length; offset += Block)
            {
                await file.ReadAsync(read.AsMemory(offset, Block), offset);
            }

            Assert.Equal(data, read);
        }

        await using var writer = await ConnectAsync(fixture.Cluster, cacheBlocks: 64, readAheadBytes: 4 * Block);
        await using (var file = await writer.OpenAsync(name, PfsOpenMode.Write))
        {
            var read = new byte[data.Length];
            for (var offset = 0; offset < data.Length; offset += Block)
            {
                await file.ReadAsync(read.AsMemory(offset, Block), offset);
            }

            Assert.Equal(data, read);
        }

        Assert.Equal(0, off.Stats.ReadAheadBlocks);
        Assert.Equal(0, writer.Stats.ReadAheadBlocks);
    }

    private async Task<byte[]> CreateAsync(string name, int blocks, int width)
    {
        var data = TestData.Bytes(blocks * Block, seed: blocks + width);
        await using var client = await fixture.Cluster.ConnectAsync();
        await client.CreateAsync(name, width, Block);
        await using var file = await client.OpenAsync(name, PfsOpenMode.Write);
        await file.WriteAsync(data, 0);
        return data;
    }

    private static Task<PfsClient> ConnectAsync(PfsCluster cluster, int cacheBlocks, int readAheadBytes) =>
        PfsClient.ConnectAsync(new PfsClientOptions
        {
            ClientId = $"ahead-{Guid.NewGuid():N}",
            MetaServer = cluster.MetaServerAddress,
            CacheBlocks = cacheBlocks,
            ReadAheadBytes = readAheadBytes,
        });
}
