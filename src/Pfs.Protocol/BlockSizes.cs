using System.Numerics;

namespace Pfs.Protocol;

/// <summary>Limits on a file's block (stripe unit) size.</summary>
public static class BlockSizes
{
    public const int Default = 512;
    public const int Min = 512;
    public const int Max = 64 * 1024 * 1024;

    /// <summary>Returns null when <paramref name="blockSize"/> is allowed, otherwise why it is not.</summary>
    public static string? Validate(int blockSize) =>
        blockSize is >= Min and <= Max && BitOperations.IsPow2(blockSize)
            ? null
            : $"block size {blockSize} must be a power of two from {Min} B to {Max / (1024 * 1024)} MiB";
}
