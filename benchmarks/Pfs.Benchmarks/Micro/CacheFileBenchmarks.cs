using BenchmarkDotNet.Attributes;
using Pfs.Client.Caching;
using Pfs.Client.Transport;

namespace Pfs.Benchmarks.Micro;

/// <summary>
/// What the block cache does for one file while it holds many blocks of others: the unlink of a file this
/// client has nothing cached of, and the close of a small file (one dirty block pinned, written back). With
/// the cache's per-file index both cost the file's own blocks; compare the two cache sizes of one run.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(MicroConfig))]
public class CacheFileBenchmarks
{
    private const int BlockSize = 512;

    private readonly byte[] _block = new byte[BlockSize];
    private readonly List<CachedBlock> _victims = [];
    private readonly Dictionary<long, ReadOnlyMemory<byte>> _noOldData = [];
    private BlockCache _cache = null!;
    private FileLayout _small = null!;

    /// <summary>Blocks of other files in the cache.</summary>
    [Params(128, 16_384)]
    public int OtherBlocks { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var others = TestLayouts.Create(1, 4, BlockSize);
        _small = TestLayouts.Create(2, 4, BlockSize);
        _cache = new BlockCache(OtherBlocks + 16);
        _cache.InsertClean(others, Enumerable.Range(0, OtherBlocks).Select(i => ((long)i, (ReadOnlyMemory<byte>)_block)).ToList(), _victims);
    }

    /// <summary>An unlink's drop of a file with nothing cached.</summary>
    [Benchmark]
    public int UnlinkDrop() => _cache.DropFile(fileId: 3);

    /// <summary>A small file written and closed: one block made dirty, pinned for the close's flush, written back, dropped.</summary>
    [Benchmark]
    public int SmallFileClose()
    {
        _victims.Clear();
        _cache.ApplyWrite(_small, 0, _block, _noOldData, _victims);
        var flush = _cache.PinDirtyForClose(_small.FileId)!;
        var cleaned = _cache.CompleteWriteBacks(flush, succeeded: true);
        return cleaned + _cache.DropFile(_small.FileId);
    }
}
