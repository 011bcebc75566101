using System.Numerics;
using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using Pfs.Protocol;

namespace Pfs.Benchmarks.Micro;

/// <summary>
/// The block checksum candidates over 1 MiB in blocks of <see cref="BlockSize"/>: XXH3 (what
/// <see cref="BlockChecksum"/> uses) and CRC32C through <see cref="BitOperations.Crc32C(uint, ulong)"/>
/// over 8-byte words (the SSE4.2 instruction, one dependency chain).
/// <c>dotnet run -c Release --project benchmarks/Pfs.Benchmarks -- --micro --filter *Checksum* --job short</c>
/// </summary>
[MemoryDiagnoser]
[Config(typeof(MicroConfig))]
public class ChecksumBenchmarks
{
    private const int Bytes = 1024 * 1024;
    private readonly byte[] _data = new byte[Bytes];
    private readonly uint[] _sums = new uint[Bytes / 512];

    [Params(4096, 1024 * 1024)]
    public int BlockSize { get; set; }

    [GlobalSetup]
    public void Setup() => new Random(1).NextBytes(_data);

    [Benchmark(Baseline = true)]
    public uint Xxh3()
    {
        BlockChecksum.ComputeAll(_data, BlockSize, _sums);
        return _sums[0];
    }

    [Benchmark]
    public uint Crc32C()
    {
        var sum = 0u;
        for (var start = 0; start < Bytes; start += BlockSize)
        {
            var crc = uint.MaxValue;
            foreach (var word in MemoryMarshal.Cast<byte, ulong>(_data.AsSpan(start, BlockSize)))
            {
                crc = BitOperations.Crc32C(crc, word);
            }

            sum ^= ~crc;
        }

        return sum;
    }
}
