using Pfs.MetaServer.Errors;
using Pfs.Protocol.Meta;

namespace Pfs.MetaServer.Services;

/// <summary>Checks a writer's dirty block ranges and merges them, so invalidations carry each block once.</summary>
internal static class DirtyRanges
{
    /// <summary>Sorted, non-overlapping, non-adjacent ranges covering exactly the given blocks.</summary>
    /// <exception cref="MetaException">InvalidArgument for a negative start, a count below 1, or a range past long.MaxValue.</exception>
    public static IReadOnlyList<BlockRange> Normalize(IReadOnlyList<BlockRange> ranges)
    {
        if (ranges.Count == 0)
        {
            return [];
        }

        var sorted = new (long Start, long End)[ranges.Count];
        for (var i = 0; i < ranges.Count; i++)
        {
            var range = ranges[i];
            if (range.Start < 0 || range.Count < 1 || range.Start > long.MaxValue - range.Count)
            {
                throw MetaException.InvalidArgument(
                    $"dirty range (start {range.Start}, count {range.Count}) must have start >= 0, count >= 1 and end within 2^63 - 1");
            }

            sorted[i] = (range.Start, range.Start + range.Count);
        }

        Array.Sort(sorted);
        var merged = new List<BlockRange>();
        var (start, end) = sorted[0];
        for (var i = 1; i < sorted.Length; i++)
        {
            if (sorted[i].Start <= end)
            {
                end = Math.Max(end, sorted[i].End);
                continue;
            }

            merged.Add(new BlockRange { Start = start, Count = end - start });
            (start, end) = sorted[i];
        }

        merged.Add(new BlockRange { Start = start, Count = end - start });
        return merged;
    }
}
