using BenchmarkDotNet.Attributes;
using Pfs.Client.Striping;

namespace Pfs.Benchmarks.Micro;

/// <summary>Striping arithmetic: planning the calls of a 4 MiB transfer.</summary>
[MemoryDiagnoser]
[Config(typeof(MicroConfig))]
public class StripeMathBenchmarks
{
    private List<long> _smallBlocks = [];
    private List<long> _largeBlocks = [];
    private List<long> _scattered = [];

    [GlobalSetup]
    public void Setup()
    {
        _smallBlocks = Enumerable.Range(0, 8192).Select(i => (long)i).ToList();
        _largeBlocks = Enumerable.Range(0, 4).Select(i => (long)i).ToList();
        _scattered = Enumerable.Range(0, 256).Select(i => (long)i * 3).ToList();
    }

    /// <summary>8192 blocks of 512 B over 4 servers, 1 MiB calls: 4 calls of one run each.</summary>
    [Benchmark]
    public int Plan4MiBIn512ByteBlocks() => StripeMath.Plan(_smallBlocks, 4, 512, 1024 * 1024).Count;

    /// <summary>4 blocks of 1 MiB over 4 servers: 4 calls.</summary>
    [Benchmark]
    public int Plan4MiBIn1MiBBlocks() => StripeMath.Plan(_largeBlocks, 4, 1024 * 1024, 1024 * 1024).Count;

    /// <summary>256 blocks, every third, over 4 servers: runs of one block each.</summary>
    [Benchmark]
    public int PlanScattered() => StripeMath.Plan(_scattered, 4, 512, 1024 * 1024).Count;

    [Benchmark(OperationsPerInvoke = 8192)]
    public long ServerAndOffset()
    {
        long sum = 0;
        for (long block = 0; block < 8192; block++)
        {
            sum += StripeMath.ServerOf(block, 4) + StripeMath.LocalOffset(block, 4, 512);
        }

        return sum;
    }
}
