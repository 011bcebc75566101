using System.Runtime.InteropServices;
using Pfs.Protocol;

namespace Pfs.FileServer.Storage.Sums;

/// <summary>Checks the chunks of a read against the sums kept for them.</summary>
internal static class SumCheck
{
    /// <summary>Refuses a checksum block that is not a block size, and ranges that do not lie on its multiples.</summary>
    public static void ValidateRanges(IReadOnlyList<ObjectRange> ranges, int unit)
    {
        if (BlockChecksum.Validate(unit) is { } why)
        {
            throw new BlockStoreException(BlockStoreError.InvalidArgument, why);
        }

        foreach (var range in ranges)
        {
            if (range.Offset % unit != 0 || range.Length % unit != 0)
            {
                throw new BlockStoreException(BlockStoreError.InvalidArgument, $"range ({range.Offset}, {range.Length}) does not lie on multiples of the checksum block {unit}");
            }
        }
    }

    /// <summary>The first block and the number of blocks of each range's data in <paramref name="result"/>.</summary>
    public static (long First, int Count)[] Blocks(IReadOnlyList<ObjectRange> ranges, ObjectReadResult result, int unit)
    {
        var blocks = new (long, int)[ranges.Count];
        for (var i = 0; i < ranges.Count; i++)
        {
            blocks[i] = (ranges[i].Offset / unit, BlockChecksum.ChunkCount(result.Data[i].Length, unit));
        }

        return blocks;
    }

    /// <summary>
    /// Sums every chunk of <paramref name="result"/> into its <see cref="ObjectReadResult.Sums"/> and
    /// compares each with its entry (one per chunk, in order). Returns the object offsets of the chunks
    /// that failed (damaged-marked entries included); it changes nothing else.
    /// </summary>
    public static List<long> Compute(ObjectReadResult result, IReadOnlyList<ObjectRange> ranges, ReadOnlySpan<SumEntry> entries, int unit)
    {
        var failed = new List<long>();
        var sums = new uint[entries.Length];
        var n = 0;
        for (var i = 0; i < ranges.Count; i++)
        {
            var data = result.Data[i].Span;
            for (var at = 0; at < data.Length; at += unit, n++)
            {
                var chunk = data.Slice(at, Math.Min(unit, data.Length - at));
                sums[n] = BlockChecksum.Compute(chunk, unit);
                var entry = entries[n];
                if (entry.IsDamagedFor(unit) || (entry.IsValidFor(unit) && entry.Sum != sums[n]))
                {
                    failed.Add(ranges[i].Offset + at);
                }
            }
        }

        result.Sums = sums;
        return failed;
    }

    /// <summary>True if <paramref name="chunk"/> matches <paramref name="entry"/> (or there is no sum to match).</summary>
    public static bool Matches(ReadOnlySpan<byte> chunk, SumEntry entry, int unit) =>
        !entry.IsDamagedFor(unit) && (!entry.IsValidFor(unit) || entry.Sum == BlockChecksum.Compute(chunk, unit));

    /// <summary>Marks the blocks at <paramref name="damaged"/> in <paramref name="result"/>: their bytes become zeros and their sums 0.</summary>
    public static void Withhold(ObjectReadResult result, IReadOnlyList<ObjectRange> ranges, IReadOnlyList<long> damaged, int unit)
    {
        if (damaged.Count == 0)
        {
            return;
        }

        var set = damaged.ToHashSet();
        var n = 0;
        for (var i = 0; i < ranges.Count; i++)
        {
            var data = MemoryMarshal.AsMemory(result.Data[i]).Span;
            for (var at = 0; at < data.Length; at += unit, n++)
            {
                if (set.Contains(ranges[i].Offset + at))
                {
                    data.Slice(at, Math.Min(unit, data.Length - at)).Clear();
                    result.Sums![n] = 0;
                }
            }
        }

        result.Damaged = [.. damaged];
    }
}
