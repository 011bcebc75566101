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

    /// <summary>
    /// The first block and the number of blocks of each range to check: every block of its data in
    /// <paramref name="result"/>, and beyond that every block asked for that the sums reach
    /// (<paramref name="reach"/> blocks from the object's start): a block with a sum and no bytes is lost.
    /// </summary>
    public static (long First, int Count)[] Blocks(IReadOnlyList<ObjectRange> ranges, ObjectReadResult result, int unit, long reach = 0)
    {
        var blocks = new (long, int)[ranges.Count];
        for (var i = 0; i < ranges.Count; i++)
        {
            var first = ranges[i].Offset / unit;
            var asked = (int)(ranges[i].Length / unit);
            var summed = (int)Math.Clamp(reach - first, 0, asked);
            blocks[i] = (first, Math.Max(BlockChecksum.ChunkCount(result.Data[i].Length, unit), summed));
        }

        return blocks;
    }

    /// <summary>
    /// Sums every chunk of <paramref name="result"/> into its <see cref="ObjectReadResult.Sums"/> and
    /// compares each with its entry (one per block of <paramref name="blocks"/>, in order). Returns the object
    /// offsets of the blocks that failed: chunks that do not match (damaged-marked entries included), and
    /// blocks past a range's bytes that have an entry (their bytes were lost: the object was cut short or
    /// removed under the server). It changes nothing else.
    /// </summary>
    public static List<long> Compute(ObjectReadResult result, IReadOnlyList<ObjectRange> ranges, (long First, int Count)[] blocks, ReadOnlySpan<SumEntry> entries, int unit)
    {
        var failed = new List<long>();
        var chunks = 0;
        for (var i = 0; i < ranges.Count; i++)
        {
            chunks += BlockChecksum.ChunkCount(result.Data[i].Length, unit);
        }

        var sums = new uint[chunks];
        var n = 0;
        var e = 0;
        for (var i = 0; i < ranges.Count; i++)
        {
            var data = result.Data[i].Span;
            for (var k = 0; k < blocks[i].Count; k++, e++)
            {
                var at = k * unit;
                var entry = entries[e];
                if (at >= data.Length)
                {
                    if (entry.IsDamagedFor(unit) || entry.IsValidFor(unit))
                    {
                        failed.Add(ranges[i].Offset + at);
                    }

                    continue;
                }

                var chunk = data.Slice(at, Math.Min(unit, data.Length - at));
                sums[n] = BlockChecksum.Compute(chunk, unit);
                if (entry.IsDamagedFor(unit) || (entry.IsValidFor(unit) && entry.Sum != sums[n]))
                {
                    failed.Add(ranges[i].Offset + at);
                }

                n++;
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
