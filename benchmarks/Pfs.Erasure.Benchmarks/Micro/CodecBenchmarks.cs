using BenchmarkDotNet.Attributes;
using Pfs.Erasure.Coding;

namespace Pfs.Erasure.Benchmarks.Micro;

/// <summary>Encode and two-lost decode of a 4+2 stripe per kernel, with allocations counted.</summary>
[MemoryDiagnoser]
public class CodecBenchmarks
{
    private ReedSolomon _code = null!;
    private ReadOnlyMemory<byte>[] _data = null!;
    private Memory<byte>[] _parity = null!;
    private Memory<byte>[] _all = null!;
    private readonly bool[] _present = [false, false, true, true, true, true];

    [Params("Scalar", "Avx2", "Avx512", "Gfni256", "Gfni512")]
    public string Kernel { get; set; } = "Gfni512";

    [Params(4096, 65536)]
    public int ShardSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var kernel = Enum.Parse<GfKernel>(Kernel);
        _code = new ReedSolomon(4, 2, GfKernels.IsSupported(kernel) ? kernel : GfKernel.Scalar);
        var random = new Random(1);
        var shards = Enumerable.Range(0, 6).Select(_ => new byte[ShardSize]).ToArray();
        foreach (var shard in shards)
        {
            random.NextBytes(shard);
        }
        _data = shards[..4].Select(s => (ReadOnlyMemory<byte>)s).ToArray();
        _parity = shards[4..].Select(s => (Memory<byte>)s).ToArray();
        _all = shards.Select(s => (Memory<byte>)s).ToArray();
        _code.Encode(_data, _parity);
    }

    [Benchmark]
    public void Encode() => _code.Encode(_data, _parity);

    [Benchmark]
    public void ReconstructTwoData() => _code.Reconstruct(_all, _present);
}
