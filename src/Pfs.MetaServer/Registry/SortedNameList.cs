namespace Pfs.MetaServer.Registry;

/// <summary>
/// A directory's names in ordinal order, for listing in pages: a list of sorted chunks of at most
/// <see cref="MaxChunk"/> names. Add and remove cost O(log n + chunk) (a binary search over the chunks'
/// first names, then within one chunk), and a page after a cursor costs O(log n + page), so neither a
/// create in a million-entry directory nor a listing of it ever copies or sorts the whole directory.
/// Not thread-safe: the namespace's lock guards it.
/// </summary>
internal sealed class SortedNameList
{
    internal const int MaxChunk = 1024;
    private const int MinChunk = MaxChunk / 4;

    private readonly List<List<string>> _chunks = [];

    public int Count { get; private set; }

    /// <summary>Adds a name; false if it is already there.</summary>
    public bool Add(string name)
    {
        if (_chunks.Count == 0)
        {
            _chunks.Add([name]);
            Count = 1;
            return true;
        }

        var chunkIndex = ChunkFor(name);
        var chunk = _chunks[chunkIndex];
        var at = chunk.BinarySearch(name, StringComparer.Ordinal);
        if (at >= 0)
        {
            return false;
        }

        chunk.Insert(~at, name);
        Count++;
        if (chunk.Count > MaxChunk)
        {
            // Split in halves, so a run of appends does not split again at once.
            var upper = chunk.GetRange(MaxChunk / 2, chunk.Count - (MaxChunk / 2));
            chunk.RemoveRange(MaxChunk / 2, chunk.Count - (MaxChunk / 2));
            _chunks.Insert(chunkIndex + 1, upper);
        }

        return true;
    }

    /// <summary>Removes a name; false if it is not there.</summary>
    public bool Remove(string name)
    {
        if (_chunks.Count == 0)
        {
            return false;
        }

        var chunkIndex = ChunkFor(name);
        var chunk = _chunks[chunkIndex];
        var at = chunk.BinarySearch(name, StringComparer.Ordinal);
        if (at < 0)
        {
            return false;
        }

        chunk.RemoveAt(at);
        Count--;
        if (chunk.Count == 0)
        {
            _chunks.RemoveAt(chunkIndex);
        }
        else if (chunk.Count < MinChunk)
        {
            MergeWithNeighbour(chunkIndex);
        }

        return true;
    }

    /// <summary>
    /// Up to <paramref name="limit"/> names ordinally after <paramref name="after"/> ("" for the first),
    /// handed to <paramref name="take"/> in order until it returns false. Returns true if names remain after the last one taken.
    /// </summary>
    public bool After(string after, int limit, Func<string, bool> take)
    {
        ArgumentNullException.ThrowIfNull(after);
        ArgumentNullException.ThrowIfNull(take);
        if (_chunks.Count == 0)
        {
            return false;
        }

        var chunkIndex = after.Length == 0 ? 0 : ChunkFor(after);
        var position = 0;
        if (after.Length > 0)
        {
            var at = _chunks[chunkIndex].BinarySearch(after, StringComparer.Ordinal);
            position = at >= 0 ? at + 1 : ~at;
        }

        var taken = 0;
        for (; chunkIndex < _chunks.Count; chunkIndex++, position = 0)
        {
            var chunk = _chunks[chunkIndex];
            for (; position < chunk.Count; position++)
            {
                if (taken == limit || !take(chunk[position]))
                {
                    return true;
                }

                taken++;
            }
        }

        return false;
    }

    /// <summary>Every name in order (tests and the v1 List of the root).</summary>
    public IEnumerable<string> All() => _chunks.SelectMany(chunk => chunk);

    /// <summary>The chunk whose range holds <paramref name="name"/>: the last one whose first name is not after it.</summary>
    private int ChunkFor(string name)
    {
        int low = 0, high = _chunks.Count - 1;
        while (low < high)
        {
            var middle = (low + high + 1) / 2;
            if (string.CompareOrdinal(_chunks[middle][0], name) <= 0)
            {
                low = middle;
            }
            else
            {
                high = middle - 1;
            }
        }

        return low;
    }

    private void MergeWithNeighbour(int chunkIndex)
    {
        // Merge into the smaller neighbour if the two fit in one chunk; otherwise leave it small.
        var left = chunkIndex > 0 ? _chunks[chunkIndex - 1] : null;
        var right = chunkIndex + 1 < _chunks.Count ? _chunks[chunkIndex + 1] : null;
        var chunk = _chunks[chunkIndex];
        if (left is not null && (right is null || left.Count <= right.Count) && left.Count + chunk.Count <= MaxChunk)
        {
            left.AddRange(chunk);
            _chunks.RemoveAt(chunkIndex);
        }
        else if (right is not null && chunk.Count + right.Count <= MaxChunk)
        {
            chunk.AddRange(right);
            _chunks.RemoveAt(chunkIndex + 1);
        }
    }
}
