using BenchmarkDotNet.Attributes;
using Pfs.Client.Caching;
using Pfs.Client.Transport;

namespace Pfs.Benchmarks.Micro;

/// <summary>The client's LRU block cache: a hit, a fill that evicts, and a large write through a small cache.</summary>
[MemoryDiagnoser]
[Config(typeof(MicroConfig))]
public class LruBenchmarks
{
    private const int Capacity = 128;
    private const int BlockSize = 512;

    private readonly byte[] _destination = new byte[BlockSize];
    private readonly byte[] _write = new byte[4 * 1024 * 1024];
    private readonly List<long> _misses = [];
    private readonly List<CachedBlock> _victims = [];
    private readonly Dictionary<long, ReadOnlyMemory<byte>> _noOldData = [];
    private BlockCache _cache = null!;
    private FileLayout _layout = null!;
    private (long Index, ReadOnlyMemory<byte> Bytes)[] _fetched = [];
    private long _nextBlock;

    [GlobalSetup]
    public void Setup()
    {
        _layout = TestLayouts.Create(1, 4, BlockSize);
        _cache = new BlockCache(Capacity);
        var block = new byte[BlockSize];
        _cache.InsertClean(_layout, Enumerable.Range(0, Capacity).Select(i => ((long)i, (ReadOnlyMemory<byte>)block)).ToList(), _victims);
        _fetched = Enumerable.Range(0, Capacity).Select(i => (0L, (ReadOnlyMemory<byte>)block)).ToArray();
        _nextBlock = Capacity;
    }

    /// <summary>What a cache-hit ReadAsync does under the lock: one block copied out, LRU touched.</summary>
    [Benchmark]
    public int ReadHit()
    {
        _misses.Clear();
        _cache.ReadCached(_layout, 7 * BlockSize, _destination, 7, 7, _misses);
        return _misses.Count;
    }

    /// <summary>128 fetched blocks inserted into a full cache: 128 new entries, 128 clean evictions.</summary>
    [Benchmark(OperationsPerInvoke = Capacity)]
    public int InsertCleanEvicting()
    {
        for (var i = 0; i < _fetched.Length; i++)
        {
            _fetched[i].Index = _nextBlock++;
        }

        _victims.Clear();
        _cache.InsertClean(_layout, _fetched, _victims);
        return _victims.Count;
    }

    /// <summary>A 4 MiB write in 512 B blocks through the 128-block cache (8192 entries, 8064 dirty victims).</summary>
    [Benchmark]
    public int ApplyWrite4MiB()
    {
        var file = TestLayouts.Create(2, 4, BlockSize);
        var cache = new BlockCache(Capacity);
        _victims.Clear();
        cache.ApplyWrite(file, 0, _write, _noOldData, _victims);
        return _victims.Count;
    }
}
