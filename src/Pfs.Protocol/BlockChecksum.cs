using System.IO.Hashing;

namespace Pfs.Protocol;

/// <summary>
/// The end-to-end checksum of one block: the low 32 bits of XXH3-64 (seed 0) over the block's bytes
/// padded with zeros to the checksum block size. Padding makes a short chunk (a file's last block)
/// sum the same as the whole block it stands for, since the bytes past it read as zeros wherever
/// they are read from. XXH3 rather than CRC32C because it is the faster of the two on this
/// hardware (docs/PERFORMANCE.md, "Checksums": about 6x one CRC32C instruction stream per core).
/// </summary>
public static class BlockChecksum
{
    // Shared zeros for padding short chunks; chunks are short only at the end of an object.
    private static readonly byte[] Zeros = new byte[64 * 1024];

    [ThreadStatic]
    private static XxHash3? t_hasher;

    /// <summary>
    /// Returns null when <paramref name="checksumBlock"/> is a usable checksum unit (a block size),
    /// otherwise why it is not.
    /// </summary>
    public static string? Validate(int checksumBlock) =>
        BlockSizes.Validate(checksumBlock) is null ? null : $"checksum block {checksumBlock} must be a block size (a power of two from {BlockSizes.Min} B to {BlockSizes.Max >> 20} MiB)";

    /// <summary>The sum of <paramref name="chunk"/> (at most <paramref name="blockSize"/> bytes) padded with zeros to <paramref name="blockSize"/>.</summary>
    public static uint Compute(ReadOnlySpan<byte> chunk, int blockSize)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(chunk.Length, blockSize);
        if (chunk.Length == blockSize)
        {
            return (uint)XxHash3.HashToUInt64(chunk);
        }

        var hasher = t_hasher ??= new XxHash3();
        hasher.Reset();
        hasher.Append(chunk);
        for (var left = blockSize - chunk.Length; left > 0;)
        {
            var step = Math.Min(left, Zeros.Length);
            hasher.Append(Zeros.AsSpan(0, step));
            left -= step;
        }

        return (uint)hasher.GetCurrentHashAsUInt64();
    }

    /// <summary>How many block-sized chunks <paramref name="length"/> bytes make (the last may be short).</summary>
    public static int ChunkCount(long length, int blockSize) => checked((int)((length + blockSize - 1) / blockSize));

    /// <summary>The sum of every block-sized chunk of <paramref name="data"/>, in order, into <paramref name="sums"/>.</summary>
    public static void ComputeAll(ReadOnlySpan<byte> data, int blockSize, Span<uint> sums)
    {
        var count = ChunkCount(data.Length, blockSize);
        ArgumentOutOfRangeException.ThrowIfLessThan(sums.Length, count);
        for (var i = 0; i < count; i++)
        {
            var start = i * blockSize;
            sums[i] = Compute(data.Slice(start, Math.Min(blockSize, data.Length - start)), blockSize);
        }
    }
}
