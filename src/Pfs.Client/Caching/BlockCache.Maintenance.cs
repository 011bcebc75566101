using Pfs.Client.Transport;

namespace Pfs.Client.Caching;

/// <summary>Write-back bookkeeping, invalidation and the LRU list.</summary>
internal sealed partial class BlockCache
{
    /// <summary>A dirty block being written back, with the version the write carries.</summary>
    internal readonly record struct WriteBack(CachedBlock Block, int Version, ReadOnlyMemory<byte> Bytes);

    /// <summary>
    /// Captures what to send for dirty victims. Real victims stay cached (pinned) until
    /// <see cref="CompleteWriteBacks"/>; virtual ones have left already.
    /// </summary>
    public List<WriteBack> PrepareWriteBacks(List<CachedBlock> victims)
    {
        lock (_gate)
        {
            return victims.ConvertAll(block => new WriteBack(block, block.Version, block.Bytes));
        }
    }

    /// <summary>
    /// Pins every dirty block of a file for a close's flush. Returns null while another
    /// operation's write-back of one of them is still in flight: wait with
    /// <see cref="WaitForWriteBacksAsync"/> and ask again.
    /// </summary>
    public List<WriteBack>? PinDirtyForClose(ulong fileId)
    {
        lock (_gate)
        {
            if (_pinnedPerFile.ContainsKey(fileId))
            {
                return null;
            }

            var result = new List<WriteBack>();
            foreach (var block in _blocks.Values)
            {
                if (block.Key.FileId == fileId && block.Dirty)
                {
                    PinLocked(block);
                    result.Add(new WriteBack(block, block.Version, block.Bytes));
                }
            }

            result.Sort((a, b) => a.Block.Key.Index.CompareTo(b.Block.Key.Index));
            return result;
        }
    }

    /// <summary>Completes when no write-back of the file's blocks is in flight.</summary>
    public Task WaitForWriteBacksAsync(ulong fileId)
    {
        lock (_gate)
        {
            if (!_pinnedPerFile.ContainsKey(fileId))
            {
                return Task.CompletedTask;
            }

            var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (!_unpinWaiters.TryGetValue(fileId, out var list))
            {
                _unpinWaiters[fileId] = list = [];
            }

            list.Add(waiter);
            return waiter.Task;
        }
    }

    /// <summary>
    /// Counts eviction victims as evicted and written back when their write-back is handed off
    /// (write-behind), so the counters after a write are what they would be had it waited;
    /// <see cref="CompleteWriteBacks"/> with <c>countedAhead</c> takes back what did not happen.
    /// </summary>
    /// <summary>
    /// Counts blocks of a large write that went to the file servers without entering the cache as
    /// evicted, which is what they would have been had they passed through it (inserted, then
    /// pushed out at once); their write-backs are counted by the write-back itself.
    /// </summary>
    public void CountBypassed(int blocks)
    {
        lock (_gate)
        {
            _counters.Evictions += blocks;
            _counters.Writebacks += blocks;
        }
    }

    /// <summary>Takes back the write-backs of bypassed blocks whose write failed (they are cached dirty again).</summary>
    public void UncountBypassedWriteBacks(int blocks)
    {
        lock (_gate)
        {
            _counters.Writebacks -= blocks;
        }
    }

    public void CountAhead(List<CachedBlock> victims)
    {
        lock (_gate)
        {
            foreach (var block in victims)
            {
                // A victim no longer cached had its eviction counted when it left.
                if (!block.IsVirtual)
                {
                    _counters.Evictions++;
                }

                _counters.Writebacks++;
            }
        }
    }

    /// <summary>
    /// Records the outcome of write-backs. A block that was not changed meanwhile becomes clean
    /// (and leaves the cache if it was an eviction victim); on failure it stays dirty and cached.
    /// </summary>
    public void CompleteWriteBacks(IReadOnlyList<WriteBack> writeBacks, bool succeeded, bool atClose, bool countedAhead = false)
    {
        lock (_gate)
        {
            foreach (var (block, version, _) in writeBacks)
            {
                if (block.IsVirtual)
                {
                    // A victim written straight from the caller's bytes: it has left the cache.
                    if (succeeded != countedAhead)
                    {
                        _counters.Writebacks += succeeded ? 1 : -1;
                    }

                    continue;
                }

                UnpinLocked(block);
                var unchanged = block.Version == version;
                if (succeeded && unchanged)
                {
                    block.Dirty = false;
                    if (atClose)
                    {
                        _counters.CloseWritebacks++;
                    }
                }

                if (block.Evicting)
                {
                    block.Evicting = false;
                    _evicting--;
                    var evicted = succeeded && unchanged;
                    if (evicted)
                    {
                        RemoveLocked(block);
                    }
                    else
                    {
                        // Still cached (dirty again, or changed meanwhile): back into the LRU order.
                        LinkNewest(block);
                    }

                    if (evicted != countedAhead)
                    {
                        var change = evicted ? 1 : -1;
                        _counters.Evictions += change;
                        _counters.Writebacks += change;
                    }
                }
            }
        }
    }

    /// <summary>
    /// Puts back, as dirty, blocks that were pushed out of the cache and whose write-back failed,
    /// unless the cache holds a newer copy. The cache may exceed its capacity until the next insert.
    /// </summary>
    public void ReinsertDirty(IReadOnlyList<CachedBlock> failed)
    {
        lock (_gate)
        {
            foreach (var block in failed)
            {
                if (_blocks.ContainsKey(block.Key))
                {
                    continue;
                }

                var buffer = Rent(block.Layout.BlockSize, block.Length);
                block.Bytes.Span.CopyTo(buffer);
                var again = new CachedBlock(block.Key, block.Layout) { Data = buffer, Length = block.Length, Dirty = true };
                _blocks.Add(again.Key, again);
                LinkNewest(again);
            }
        }
    }

    /// <summary>Drops the named blocks of a file that another client's writer changed.</summary>
    public int Invalidate(ulong fileId, IEnumerable<(long Start, long Count)> ranges)
    {
        lock (_gate)
        {
            var dropped = 0;
            foreach (var (start, count) in ranges)
            {
                if (count > _blocks.Count)
                {
                    dropped += DropWhereLocked(b => b.Key.FileId == fileId && b.Key.Index >= start && b.Key.Index - start < count && !b.Dirty);
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
    public int DropFile(ulong fileId)
    {
        lock (_gate)
        {
            var dropped = DropWhereLocked(b => b.Key.FileId == fileId && !b.Dirty);
            _counters.CloseEvictions += dropped;
            return dropped;
        }
    }

    /// <summary>Drops every block of a file, dirty ones too (an open whose lock was lost: its writes must not land).</summary>
    public int DropFileWithDirty(ulong fileId)
    {
        lock (_gate)
        {
            var dropped = DropWhereLocked(b => b.Key.FileId == fileId);
            _counters.CloseEvictions += dropped;
            return dropped;
        }
    }

    /// <summary>Drops every clean block (the notice stream was lost: notices may have been missed).</summary>
    public int DropAllClean()
    {
        lock (_gate)
        {
            var dropped = DropWhereLocked(b => !b.Dirty);
            _counters.CloseEvictions += dropped;
            return dropped;
        }
    }

    private int DropWhereLocked(Func<CachedBlock, bool> predicate)
    {
        var doomed = _blocks.Values.Where(b => b.Pins == 0 && predicate(b)).ToList();
        foreach (var block in doomed)
        {
            RemoveLocked(block);
        }

        return doomed.Count;
    }

    private void PinLocked(CachedBlock block)
    {
        block.Pins++;
        _pinnedPerFile[block.Key.FileId] = _pinnedPerFile.GetValueOrDefault(block.Key.FileId) + 1;
    }

    private void UnpinLocked(CachedBlock block)
    {
        block.Pins--;
        var fileId = block.Key.FileId;
        var left = _pinnedPerFile[fileId] - 1;
        if (left > 0)
        {
            _pinnedPerFile[fileId] = left;
            return;
        }

        _pinnedPerFile.Remove(fileId);
        if (_unpinWaiters.Remove(fileId, out var waiters))
        {
            // RunContinuationsAsynchronously: nobody runs inside this lock.
            waiters.ForEach(w => w.TrySetResult());
        }
    }

    private void Touch(CachedBlock block)
    {
        // A block being evicted is out of the LRU list until its write-back ends.
        if (ReferenceEquals(_newest, block) || block.Evicting)
        {
            return;
        }

        Unlink(block);
        LinkNewest(block);
    }

    private void LinkNewest(CachedBlock block)
    {
        block.Older = _newest;
        block.Newer = null;
        if (_newest is not null)
        {
            _newest.Newer = block;
        }

        _newest = block;
        _oldest ??= block;
    }

    private void Unlink(CachedBlock block)
    {
        if (block.Older is not null)
        {
            block.Older.Newer = block.Newer;
        }
        else if (ReferenceEquals(_oldest, block))
        {
            _oldest = block.Newer;
        }

        if (block.Newer is not null)
        {
            block.Newer.Older = block.Older;
        }
        else if (ReferenceEquals(_newest, block))
        {
            _newest = block.Older;
        }

        block.Older = null;
        block.Newer = null;
    }
}
