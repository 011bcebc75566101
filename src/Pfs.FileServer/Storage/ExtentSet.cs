namespace Pfs.FileServer.Storage;

/// <summary>
/// A set of byte ranges, kept sorted and merged: which bytes of an object a writer has staged.
/// Sequential writes extend the last extent in place, so the common case stays one entry.
/// Not thread-safe; the owner locks.
/// </summary>
internal sealed class ExtentSet
{
    private readonly List<(long Start, long End)> _extents = [];

    /// <summary>Number of disjoint extents.</summary>
    public int Count => _extents.Count;

    /// <summary>One past the last byte covered; 0 when empty.</summary>
    public long End => _extents.Count == 0 ? 0 : _extents[^1].End;

    /// <summary>The extents in order, each [Start, End).</summary>
    public IReadOnlyList<(long Start, long End)> Extents => _extents;

    /// <summary>Adds [<paramref name="start"/>, <paramref name="end"/>), merging with what it touches or overlaps.</summary>
    public void Add(long start, long end)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfLessThan(end, start);
        if (end == start)
        {
            return;
        }

        // Fast path: at or after the end of the last extent (sequential writes).
        if (_extents.Count == 0 || start > _extents[^1].End)
        {
            _extents.Add((start, end));
            return;
        }

        if (start >= _extents[^1].Start)
        {
            _extents[^1] = (_extents[^1].Start, Math.Max(end, _extents[^1].End));
            return;
        }

        // First extent whose end reaches start (it touches or overlaps, or lies after).
        var first = FirstEndingAtOrAfter(start);
        var last = first;
        var mergedStart = start;
        var mergedEnd = end;
        while (last < _extents.Count && _extents[last].Start <= end)
        {
            mergedStart = Math.Min(mergedStart, _extents[last].Start);
            mergedEnd = Math.Max(mergedEnd, _extents[last].End);
            last++;
        }

        _extents.RemoveRange(first, last - first);
        _extents.Insert(first, (mergedStart, mergedEnd));
    }

    /// <summary>True if every byte of [0, <paramref name="length"/>) is covered.</summary>
    public bool CoversPrefix(long length) =>
        length <= 0 || (_extents.Count > 0 && _extents[0].Start == 0 && _extents[0].End >= length);

    /// <summary>The parts of [<paramref name="start"/>, <paramref name="end"/>) that are covered, in order.</summary>
    public List<(long Start, long End)> Intersect(long start, long end)
    {
        var parts = new List<(long, long)>();
        for (var i = FirstEndingAtOrAfter(start + 1); i < _extents.Count && _extents[i].Start < end; i++)
        {
            var from = Math.Max(start, _extents[i].Start);
            var to = Math.Min(end, _extents[i].End);
            if (to > from)
            {
                parts.Add((from, to));
            }
        }

        return parts;
    }

    // Binary search: the first extent with End >= offset (Count if none).
    private int FirstEndingAtOrAfter(long offset)
    {
        int low = 0, high = _extents.Count;
        while (low < high)
        {
            var middle = low + ((high - low) / 2);
            if (_extents[middle].End >= offset)
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
