namespace Pfs.Protocol;

/// <summary>
/// A set of non-negative integers kept as sorted, disjoint, non-touching intervals: the blocks a
/// client has dirtied, the bytes a file server has staged. A writer that covers a million
/// consecutive blocks or bytes leaves one interval, and adding at or past the end (what
/// sequential writers do) never searches. Not thread-safe; the owner locks.
/// </summary>
public sealed class IntervalSet
{
    // Half-open [Start, End), sorted by Start, never touching or overlapping.
    private readonly List<(long Start, long End)> _intervals = [];

    /// <summary>Number of disjoint intervals.</summary>
    public int Count => _intervals.Count;

    /// <summary>One past the largest member; 0 when empty.</summary>
    public long End => _intervals.Count == 0 ? 0 : _intervals[^1].End;

    /// <summary>Number of members: the sum of the intervals' lengths.</summary>
    public long TotalLength
    {
        get
        {
            long total = 0;
            foreach (var (start, end) in _intervals)
            {
                total += end - start;
            }

            return total;
        }
    }

    /// <summary>Adds <c>[start, start + length)</c>, merging it with every interval it touches or overlaps.</summary>
    public void Add(long start, long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        if (length == 0)
        {
            return;
        }

        var end = checked(start + length);
        if (_intervals.Count == 0 || start > _intervals[^1].End)
        {
            _intervals.Add((start, end));
            return;
        }

        if (start >= _intervals[^1].Start)
        {
            _intervals[^1] = (_intervals[^1].Start, Math.Max(end, _intervals[^1].End));
            return;
        }

        // Everything from the first interval that reaches start up to the last that starts by end merges.
        var first = FirstEndingAtOrAfter(start);
        var last = first;
        var mergedStart = start;
        var mergedEnd = end;
        while (last < _intervals.Count && _intervals[last].Start <= end)
        {
            mergedStart = Math.Min(mergedStart, _intervals[last].Start);
            mergedEnd = Math.Max(mergedEnd, _intervals[last].End);
            last++;
        }

        _intervals.RemoveRange(first, last - first);
        _intervals.Insert(first, (mergedStart, mergedEnd));
    }

    /// <summary>Removes every member at or past <paramref name="value"/> (a file cut to that length).</summary>
    public void RemoveFrom(long value)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(value);
        if (value == long.MaxValue)
        {
            // No member can be that large: an interval ends at long.MaxValue at most.
            return;
        }

        // The first interval that reaches past value: it keeps what lies below value, the rest go.
        var first = FirstEndingAtOrAfter(value + 1);
        if (first == _intervals.Count)
        {
            return;
        }

        var keep = _intervals[first].Start < value ? first + 1 : first;
        if (keep > first)
        {
            _intervals[first] = (_intervals[first].Start, value);
        }

        _intervals.RemoveRange(keep, _intervals.Count - keep);
    }

    /// <summary>The intervals in ascending order.</summary>
    public IEnumerable<(long Start, long Length)> Ranges()
    {
        foreach (var (start, end) in _intervals)
        {
            yield return (start, end - start);
        }
    }

    /// <summary>True if every integer of <c>[0, length)</c> is a member.</summary>
    public bool CoversPrefix(long length) =>
        length <= 0 || (_intervals.Count > 0 && _intervals[0].Start == 0 && _intervals[0].End >= length);

    /// <summary>The parts of <c>[start, start + length)</c> that are members, in ascending order.</summary>
    public List<(long Start, long Length)> Intersect(long start, long length)
    {
        var end = start + length;
        var parts = new List<(long, long)>();
        for (var i = FirstEndingAtOrAfter(start + 1); i < _intervals.Count && _intervals[i].Start < end; i++)
        {
            var from = Math.Max(start, _intervals[i].Start);
            var to = Math.Min(end, _intervals[i].End);
            if (to > from)
            {
                parts.Add((from, to - from));
            }
        }

        return parts;
    }

    // The first interval with End >= value (Count if none).
    private int FirstEndingAtOrAfter(long value)
    {
        int low = 0, high = _intervals.Count;
        while (low < high)
        {
            var middle = low + ((high - low) / 2);
            if (_intervals[middle].End >= value)
            {
                high = middle;
            }
            else
            {
                low = middle + 1;
            }
        }

        return low;
    }
}
