using Pfs.Client.Caching;
using Pfs.Client.Transport;

namespace Pfs.Tests.Unit.Client;

public sealed class BlockCacheWriteEdgeTests
{
    private const int BlockSize = 512;
    private static readonly FileLayout File = new("f", fileId: 1, BlockSize, servers: []);

    [Fact]
    public void ACachedLastBlockPushedOutByTheSameWriteKeepsTheBytesTheWriteDoesNotCover()
    {
        // Capacity 2: block 3 is cached and clean; a write over blocks 1..3 that ends inside block 3
        // inserts blocks 1 and 2 first, which pushes block 3 out before the write reaches it.
        var cache = new BlockCache(capacity: 2);
        var tail = Enumerable.Repeat((byte)7, BlockSize).ToArray();
        cache.InsertClean(File, [(3L, tail)], []);
        var data = Enumerable.Repeat((byte)1, (2 * BlockSize) + 100).ToArray();

        cache.ApplyWrite(File, BlockSize, data, new Dictionary<long, ReadOnlyMemory<byte>>(), []);

        var read = new byte[BlockSize];
        var misses = new List<long>();
        cache.ReadCached(File, 3 * BlockSize, read, 3, 3, misses);
        Assert.Empty(misses);
        Assert.All(read.AsSpan(0, 100).ToArray(), b => Assert.Equal(1, b));
        Assert.All(read.AsSpan(100).ToArray(), b => Assert.Equal(7, b));
    }
}
