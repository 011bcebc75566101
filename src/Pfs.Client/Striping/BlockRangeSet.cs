namespace Pfs.Client.Striping;

/// <summary>
/// A set of block indices kept as sorted, disjoint, non-adjacent ranges, so a writer that
/// dirties a million consecutive blocks reports one range at close.
/// </summary>
internal sealed class BlockRangeSet
{
    // Half-open [Start, End) ranges, sorted by Start, never touching or overlapping.
    private readonly List<(long Start, long End)> _ranges = [];

    public int RangeCount => _ranges.Count;

    public bool IsEmpty => _ranges.Count == 0;

    public long BlockCount
    {
        get
        {
            long total = 0;
            foreach (var (start, end) in _ranges)
            {
                total += end - start;
            }

            return total;
        }
    }

    /// <summary>Adds the blocks <c>[start, start + count)</c>.</summary>
    public void Add(long start, long count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        var end = checked(start + count);

        // The first range that ends at or after start could touch the new one.
        var index = LowerBoundByEnd(start);
        var mergedStart = start;
        var mergedEnd = end;
        var removeFrom = index;
        while (index < _ranges.Count && _ranges[index].Start <= end)
        {
            mergedStart = Math.Min(mergedStart, _ranges[index].Start);
            mergedEnd = Math.Max(mergedEnd, _ranges[index].End);
            index++;
        }

        _ranges.RemoveRange(removeFrom, index - removeFrom);
        _ranges.Insert(removeFrom, (mergedStart, mergedEnd));
    }

    public bool Contains(long block)
    {
        var index = LowerBoundByEnd(block + 1);
        return index < _ranges.Count && _ranges[index].Start <= block;
    }

    public void Clear() => _ranges.Clear();

    /// <summary>The ranges as (start, count), ascending.</summary>
    public IEnumerable<(long Start, long Count)> Ranges()
    {
        foreach (var (start, end) in _ranges)
        {
            yield return (start, end - start);
        }
    }

    // Index of the first range whose End >= value.
    private int LowerBoundByEnd(long value)
    {
        int lo = 0, hi = _ranges.Count;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (_ranges[mid].End < value)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }
}
