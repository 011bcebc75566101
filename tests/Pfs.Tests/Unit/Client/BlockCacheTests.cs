using CsCheck;
using Pfs.Client.Caching;
using Pfs.Client.Transport;

namespace Pfs.Tests.Unit.Client;

public sealed class BlockCacheTests
{
    private const int BlockSize = 512;
    private static readonly FileLayout FileA = new("a", fileId: 1, BlockSize, servers: []);
    private static readonly FileLayout FileB = new("b", fileId: 2, BlockSize, servers: []);

    [Fact]
    public void LeastRecentlyUsedBlockIsEvictedFirst()
    {
        var cache = new BlockCache(capacity: 3);
        Fill(cache, FileA, 0, 1, 2);
        Read(cache, FileA, 0);

        var victims = Fill(cache, FileA, 3);

        Assert.Empty(victims);
        Assert.Equal(new(ReadHits: 1, WriteHits: 0, Evictions: 1, Writebacks: 0, Invalidations: 0, CloseWritebacks: 0, CloseEvictions: 0), cache.Stats);
        Assert.Equal([0L, 2, 3], CachedOf(cache, FileA, 0, 1, 2, 3));
    }

    [Fact]
    public void ReadCopiesCachedBytesAndListsMisses()
    {
        var cache = new BlockCache(capacity: 8);
        Fill(cache, FileA, 1);
        var destination = new byte[3 * BlockSize];
        var misses = new List<long>();

        cache.ReadCached(FileA, 0, destination, 0, 2, misses);

        Assert.Equal([0L, 2L], misses);
        Assert.All(destination.AsSpan(BlockSize, BlockSize).ToArray(), b => Assert.Equal(Pattern(FileA, 1), b));
        Assert.Equal(1, cache.Stats.ReadHits);
    }

    [Fact]
    public void EvictedDirtyBlockStaysCachedUntilItsWriteBackLands()
    {
        var cache = new BlockCache(capacity: 2);
        Write(cache, FileA, 0, 1);

        var victims = Fill(cache, FileB, 0);

        var victim = Assert.Single(victims);
        Assert.Equal(Key(FileA, 0), victim.Key);
        var inFlight = new byte[BlockSize];
        cache.ReadCached(FileA, 0, inFlight, 0, 0, []);
        Assert.Equal(Block(FileA, 0), inFlight); // readable while its write-back is in flight
        var writeBacks = cache.PrepareWriteBacks(victims);
        Assert.Equal(Block(FileA, 0), writeBacks[0].Bytes.ToArray());

        Assert.Equal(1, cache.CompleteWriteBacks(writeBacks, succeeded: true));

        Assert.Equal([1L], CachedOf(cache, FileA, 0, 1));
        Assert.Equal([0L], CachedOf(cache, FileB, 0));
        Assert.Equal(0, cache.Stats.Evictions); // leaving after its write-back is the writer's to count
    }

    [Fact]
    public void FailedWriteBackKeepsTheBlockDirty()
    {
        var cache = new BlockCache(capacity: 1);
        Write(cache, FileA, 0);
        var victims = Fill(cache, FileB, 0);

        Assert.Equal(0, cache.CompleteWriteBacks(cache.PrepareWriteBacks(victims), succeeded: false));

        Assert.Equal([0L], DirtyOf(cache, FileA));
    }

    [Fact]
    public void WriteDuringWriteBackKeepsTheNewerBytesDirty()
    {
        var cache = new BlockCache(capacity: 1);
        Write(cache, FileA, 0);
        var writeBacks = cache.PrepareWriteBacks(Fill(cache, FileB, 0));

        Write(cache, FileA, 0);

        Assert.Equal(0, cache.CompleteWriteBacks(writeBacks, succeeded: true));
        Assert.Equal([0L], DirtyOf(cache, FileA));
        Assert.Equal(1, cache.Stats.WriteHits);
    }

    [Fact]
    public void LargeWriteThroughSmallCacheHandsBackEveryPushedOutBlock()
    {
        var cache = new BlockCache(capacity: 3);
        var data = new byte[10 * BlockSize];
        Random.Shared.NextBytes(data);
        var victims = new List<CachedBlock>();

        cache.ApplyWrite(FileA, 0, data, new Dictionary<long, ReadOnlyMemory<byte>>(), victims);
        var expectedLast = data.AsSpan(7 * BlockSize).ToArray();
        Array.Clear(data); // the cache must have copied what it kept

        Assert.Equal([0L, 1, 2, 3, 4, 5, 6], victims.Select(v => v.Key.Index));
        Assert.All(victims, v => Assert.True(v.IsVirtual, "a block pushed out by its own write is never copied"));
        Assert.Equal(7, cache.Stats.Evictions);
        var kept = new byte[3 * BlockSize];
        cache.ReadCached(FileA, 7 * BlockSize, kept, 7, 9, []);
        Assert.Equal(expectedLast, kept);
        Assert.Equal([7L, 8, 9], CachedOf(cache, FileA, [.. Enumerable.Range(0, 10).Select(i => (long)i)]));
    }

    [Fact]
    public void PartialWriteMergesWithTheOldBytes()
    {
        var cache = new BlockCache(capacity: 4);
        var old = Enumerable.Repeat((byte)7, BlockSize).ToArray();

        cache.ApplyWrite(FileA, 10, new byte[] { 1, 2, 3 }, new Dictionary<long, ReadOnlyMemory<byte>> { [0] = old }, []);

        var read = new byte[BlockSize];
        cache.ReadCached(FileA, 0, read, 0, 0, []);
        var expected = old.ToArray();
        expected[10] = 1;
        expected[11] = 2;
        expected[12] = 3;
        Assert.Equal(expected, read);
    }

    [Fact]
    public void InvalidationDropsExactlyTheNamedCleanBlocks()
    {
        var cache = new BlockCache(capacity: 16);
        Fill(cache, FileA, 0, 1, 2, 3, 4, 5);
        Fill(cache, FileB, 2);

        var dropped = cache.Invalidate(FileA.FileId, [(1, 2), (5, 1)]);

        Assert.Equal(3, dropped);
        Assert.Equal(3, cache.Stats.Invalidations);
        Assert.Equal([0L, 3, 4], CachedOf(cache, FileA, 0, 1, 2, 3, 4, 5));
        Assert.Equal([2L], CachedOf(cache, FileB, 2));
    }

    [Fact]
    public void LosingTheSessionDropsCleanBlocksButKeepsDirtyOnes()
    {
        var cache = new BlockCache(capacity: 16);
        Fill(cache, FileA, 0, 1);
        Write(cache, FileB, 0);

        var dropped = cache.DropAllClean();

        Assert.Equal(2, dropped);
        Assert.Equal(2, cache.Stats.CloseEvictions);
        Assert.Empty(CachedOf(cache, FileA, 0, 1));
        Assert.Equal([0L], DirtyOf(cache, FileB));
    }

    [Fact]
    public async Task CloseWaitsForAnEvictionWriteBackInFlight()
    {
        var cache = new BlockCache(capacity: 1);
        Write(cache, FileA, 0);
        var writeBacks = cache.PrepareWriteBacks(Fill(cache, FileB, 0));

        Assert.Null(cache.PinDirtyForClose(FileA.FileId));
        var waiting = cache.WaitForWriteBacksAsync(FileA.FileId);
        Assert.False(waiting.IsCompleted);
        cache.CompleteWriteBacks(writeBacks, succeeded: false);
        await waiting.WaitAsync(TimeSpan.FromSeconds(5));

        var pinned = cache.PinDirtyForClose(FileA.FileId);
        Assert.NotNull(pinned);
        Assert.Equal(Key(FileA, 0), Assert.Single(pinned).Block.Key);
        Assert.Equal(1, cache.CompleteWriteBacks(pinned, succeeded: true));
        Assert.Empty(DirtyOf(cache, FileA));
        Assert.Equal([0L], CachedOf(cache, FileA, 0)); // a close's write-back leaves the block cached, clean
    }

    [Fact]
    public void AWriteHitOnABlockAnEarlierOpenCachedIsWrittenBackWithTheWritersLayout()
    {
        // The same file opened again: a new layout (and capability) for the same generation.
        var earlier = new FileLayout("a", fileId: 1, BlockSize, servers: []);
        var writer = new FileLayout("a", fileId: 1, BlockSize, servers: []);
        var cache = new BlockCache(capacity: 4);
        Fill(cache, earlier, 0);

        Write(cache, writer, 0);

        var pinned = cache.PinDirtyForClose(1);
        Assert.Same(writer, Assert.Single(pinned!).Block.Layout);
    }

    private static BlockKey Key(FileLayout file, long index) => new(file.FileId, index);

    // (kind, file, index, count): 0 fill, 1 write, 2 drop the file's clean blocks, 3 drop all its blocks,
    // 4 invalidate [index, index + count), 5 truncate at index blocks. No evictions (the cache is larger than
    // all blocks), so the model is a set of (file, index) with a dirty flag.
    private static readonly Gen<(int Kind, int File, int Index, int Count)[]> CacheSteps =
        Gen.Select(Gen.Int[0, 5], Gen.Int[0, 2], Gen.Int[0, 7], Gen.Int[1, 8]).Array[1, 40];

    [Fact]
    public void EveryPerFileOperationSeesExactlyTheFilesCachedBlocks()
    {
        FileLayout[] files = [FileA, FileB, new("c", fileId: 3, BlockSize, servers: [])];
        CacheSteps.Sample(steps =>
        {
            var cache = new BlockCache(capacity: 64);
            var model = new Dictionary<(int File, long Index), bool>();
            foreach (var (kind, f, index, count) in steps)
            {
                var file = files[f];
                switch (kind)
                {
                    case 0:
                        Fill(cache, file, index);
                        model.TryAdd((f, index), false);
                        break;
                    case 1:
                        Assert.Empty(Write(cache, file, index));
                        model[(f, index)] = true;
                        break;
                    case 2:
                        Assert.Equal(Remove(model, k => k.File == f, dirtyToo: false), cache.DropFile(file.FileId));
                        break;
                    case 3:
                        Assert.Equal(Remove(model, k => k.File == f, dirtyToo: true), cache.DropFileWithDirty(file.FileId));
                        break;
                    case 4:
                        Assert.Equal(Remove(model, k => k.File == f && k.Index >= index && k.Index < index + count, dirtyToo: false),
                            cache.Invalidate(file.FileId, [(index, count)]));
                        break;
                    default:
                        Assert.True(cache.TryTruncate(file.FileId, (long)index * BlockSize, BlockSize));
                        Remove(model, k => k.File == f && k.Index >= index, dirtyToo: true);
                        break;
                }

                Assert.Equal(model.Count, cache.Count);
                for (var g = 0; g < files.Length; g++)
                {
                    var cached = model.Keys.Where(k => k.File == g).Select(k => k.Index).Order().ToList();
                    Assert.Equal(cached.Count > 0, cache.CachesAny(files[g].FileId, 0, 7));
                    Assert.Equal(cached.Any(i => i >= 2 && i <= 3), cache.CachesAny(files[g].FileId, 2, 3));
                    Assert.Equal(Enumerable.Range(0, 8).Select(i => (long)i).Except(cached), cache.Missing(files[g].FileId, Enumerable.Range(0, 8).Select(i => (long)i)));
                }
            }

            // What a close of each file flushes: its dirty blocks, and nobody else's.
            for (var g = 0; g < files.Length; g++)
            {
                Assert.Equal(model.Where(e => e.Key.File == g && e.Value).Select(e => e.Key.Index).Order(), DirtyOf(cache, files[g]).Order());
            }
        }, iter: 300);
    }

    // Removes the model's matching entries (clean ones only unless dirtyToo) and says how many went.
    private static int Remove(Dictionary<(int File, long Index), bool> model, Func<(int File, long Index), bool> match, bool dirtyToo)
    {
        var doomed = model.Where(e => match(e.Key) && (dirtyToo || !e.Value)).Select(e => e.Key).ToList();
        foreach (var key in doomed)
        {
            model.Remove(key);
        }

        return doomed.Count;
    }

    private static byte Pattern(FileLayout file, long index) => (byte)((file.FileId * 31) + (ulong)index + 1);

    private static byte[] Block(FileLayout file, long index) => Enumerable.Repeat(Pattern(file, index), BlockSize).ToArray();

    private static List<CachedBlock> Fill(BlockCache cache, FileLayout file, params long[] indices)
    {
        var victims = new List<CachedBlock>();
        cache.InsertClean(file, indices.Select(i => (i, (ReadOnlyMemory<byte>)Block(file, i))).ToList(), victims);
        return victims;
    }

    private static List<CachedBlock> Write(BlockCache cache, FileLayout file, params long[] indices)
    {
        var victims = new List<CachedBlock>();
        foreach (var index in indices)
        {
            cache.ApplyWrite(file, index * BlockSize, Block(file, index), new Dictionary<long, ReadOnlyMemory<byte>>(), victims);
        }

        return victims;
    }

    private static void Read(BlockCache cache, FileLayout file, long index) =>
        cache.ReadCached(file, index * BlockSize, new byte[BlockSize], index, index, []);

    // Which of the blocks are cached, found by reading them: that counts hits and changes recency, so ask last.
    private static long[] CachedOf(BlockCache cache, FileLayout file, params long[] indices)
    {
        var misses = new List<long>();
        foreach (var index in indices)
        {
            cache.ReadCached(file, index * BlockSize, new byte[BlockSize], index, index, misses);
        }

        return [.. indices.Except(misses)];
    }

    // The file's dirty blocks, as a close would pin them for its flush (they stay pinned: ask last).
    private static long[] DirtyOf(BlockCache cache, FileLayout file) =>
        [.. cache.PinDirtyForClose(file.FileId)!.Select(w => w.Block.Key.Index)];
}
