namespace Pfs.Client.Caching;

/// <summary>
/// What the cache keeps for a write-back in flight: the block pinned (never evicted, dropped or
/// read stale), its version (so a write that raced the write-back keeps the block dirty), and
/// who waits for it. <see cref="BlockWriter"/> drives these; they do no I/O and count nothing.
/// </summary>
internal sealed partial class BlockCache
{
    private readonly Dictionary<ulong, int> _pinnedPerFile = [];
    private readonly Dictionary<ulong, List<TaskCompletionSource>> _unpinWaiters = [];

    /// <summary>A dirty block being written back, with the version the write carries.</summary>
    internal readonly record struct WriteBack(CachedBlock Block, int Version, ReadOnlyMemory<byte> Bytes);

    /// <summary>
    /// Captures what to send for dirty victims. Cached victims stay cached (pinned) until
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
    /// Pins every dirty block of a file for a close's flush, in block order. Returns null while
    /// another operation's write-back of one of them is still in flight: wait with
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
            foreach (var block in _perFile.GetValueOrDefault(fileId) ?? [])
            {
                if (block.Dirty)
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
    /// Records the outcome of write-backs. A cached block that was not changed meanwhile becomes
    /// clean, and leaves the cache if it was an eviction victim; on failure, or if it changed, it
    /// stays cached and dirty. Returns how many cached blocks became clean (for eviction victims:
    /// how many left the cache). Virtual victims have left already and are not counted.
    /// </summary>
    public int CompleteWriteBacks(IReadOnlyList<WriteBack> writeBacks, bool succeeded)
    {
        var cleaned = 0;
        lock (_gate)
        {
            foreach (var (block, version, _) in writeBacks)
            {
                if (block.IsVirtual)
                {
                    continue;
                }

                UnpinLocked(block);
                var clean = succeeded && block.Version == version;
                if (clean)
                {
                    block.Dirty = false;
                    cleaned++;
                }

                if (block.Evicting)
                {
                    block.Evicting = false;
                    _evicting--;
                    if (clean)
                    {
                        RemoveLocked(block);
                    }
                    else
                    {
                        // Still cached (dirty again, or changed meanwhile): back into the LRU order.
                        _lru.AddNewest(block);
                    }
                }
            }
        }

        return cleaned;
    }

    /// <summary>
    /// Puts back, as dirty, blocks that were not cached when their write-back failed, unless the
    /// cache holds a newer copy. The cache may exceed its capacity until the next insert.
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
                AddLocked(again);
                _lru.AddNewest(again);
            }
        }
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
}
