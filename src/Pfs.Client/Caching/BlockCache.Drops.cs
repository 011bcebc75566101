namespace Pfs.Client.Caching;

/// <summary>Dropping blocks that may be stale (another writer changed them) or must never be written.</summary>
internal sealed partial class BlockCache
{
    /// <summary>Drops the named clean blocks of a file that another client's writer changed.</summary>
    public int Invalidate(ulong fileId, IEnumerable<(long Start, long Count)> ranges)
    {
        lock (_gate)
        {
            var dropped = 0;
            foreach (var (start, count) in ranges)
            {
                // Whichever is smaller: the range (a lookup each) or the file's cached blocks (a comparison each).
                if (count > (_perFile.TryGetValue(fileId, out var cached) ? cached.Count : 0))
                {
                    dropped += DropOfFileLocked(fileId, b => b.Key.Index >= start && b.Key.Index - start < count && !b.Dirty);
                    continue;
                }

                for (var index = start; index < start + count; index++)
                {
                    if (_blocks.TryGetValue(new BlockKey(fileId, index), out var block) && !block.Dirty && block.Pins == 0)
                    {
                        RemoveLocked(block);
                        dropped++;
                    }
                }
            }

            _counters.Invalidations += dropped;
            return dropped;
        }
    }

    /// <summary>Drops every clean block of a file (deleted, or its freshness is unknown).</summary>
    public int DropFile(ulong fileId) => DropOfFile(fileId, b => !b.Dirty);

    /// <summary>Drops every block of a file, dirty ones too (an open whose lock was lost: its writes must not land).</summary>
    public int DropFileWithDirty(ulong fileId) => DropOfFile(fileId, _ => true);

    /// <summary>Drops every clean block (the notice stream was lost: notices may have been missed).</summary>
    public int DropAllClean() => Drop(b => !b.Dirty);

    // Counted as CloseEvictions: blocks dropped for any reason but LRU pressure and invalidation.
    private int Drop(Func<CachedBlock, bool> predicate)
    {
        lock (_gate)
        {
            var dropped = DropWhereLocked(predicate);
            _counters.CloseEvictions += dropped;
            return dropped;
        }
    }

    private int DropOfFile(ulong fileId, Func<CachedBlock, bool> predicate)
    {
        lock (_gate)
        {
            var dropped = DropOfFileLocked(fileId, predicate);
            _counters.CloseEvictions += dropped;
            return dropped;
        }
    }

    // One file's blocks only: the cost is its cached blocks, whatever else the cache holds.
    private int DropOfFileLocked(ulong fileId, Func<CachedBlock, bool> predicate)
    {
        if (!_perFile.ContainsKey(fileId))
        {
            return 0;
        }

        var dropped = 0;
        foreach (var block in BlocksOfLocked(fileId))
        {
            if (block.Pins == 0 && predicate(block))
            {
                RemoveLocked(block);
                dropped++;
            }
        }

        return dropped;
    }

    // Pinned blocks stay: a write-back in flight owns them until it completes.
    private int DropWhereLocked(Func<CachedBlock, bool> predicate)
    {
        var doomed = _blocks.Values.Where(b => b.Pins == 0 && predicate(b)).ToList();
        foreach (var block in doomed)
        {
            RemoveLocked(block);
        }

        return doomed.Count;
    }
}
