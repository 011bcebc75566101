using System.Numerics;

namespace Pfs.FileServer.Storage.Sums;

/// <summary>
/// What is known of one block's checksum: nothing (written without sums, or a hole), the sum its
/// writer sent (for a block of <c>Unit</c> bytes), or that its bytes were found damaged
/// when the server had to recompute its sum (a cut through it). On disk: the sum, then a tag that
/// says which of the three and the unit, both little-endian 32-bit.
/// </summary>
internal readonly record struct SumEntry(uint Sum, uint Tag)
{
    private const uint ValidTag = 0x5355_0000;   // "SU"
    private const uint DamagedTag = 0x4441_0000; // "DA"
    private const uint KindMask = 0xFFFF_0000;

    public const int Bytes = 8;

    public static SumEntry None => default;

    public static SumEntry Valid(uint sum, int unit) => new(sum, ValidTag | (uint)BitOperations.Log2((uint)unit));

    public static SumEntry Damaged(int unit) => new(0, DamagedTag | (uint)BitOperations.Log2((uint)unit));

    /// <summary>True if this is a sum for blocks of <paramref name="unit"/> bytes.</summary>
    public bool IsValidFor(int unit) => Tag == (ValidTag | (uint)BitOperations.Log2((uint)unit));

    /// <summary>True if the block was found damaged (for blocks of <paramref name="unit"/> bytes).</summary>
    public bool IsDamagedFor(int unit) => Tag == (DamagedTag | (uint)BitOperations.Log2((uint)unit));

    public bool IsNone => (Tag & KindMask) is not (ValidTag or DamagedTag);
}
