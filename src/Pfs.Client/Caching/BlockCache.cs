using System.Buffers;
using Pfs.Client.Striping;
using Pfs.Client.Transport;

namespace Pfs.Client.Caching;

/// <summary>
/// The client's LRU write-back block cache, shared by all its open files. Every method takes
/// one short lock and never does I/O under it: evicting a dirty block hands it back to the
/// caller to write, and the block stays cached (pinned) until that write lands, so nobody
/// can read a stale copy from a file server in between.
/// </summary>
internal sealed partial class BlockCache
{
    private readonly Lock _gate = new();
    private readonly Dictionary<BlockKey, CachedBlock> _blocks = [];
    private readonly Dictionary<ulong, int> _pinnedPerFile = [];
    private readonly Dictionary<ulong, List<TaskCompletionSource>> _unpinWaiters = [];
    private readonly CacheCounters _counters = new();
    private readonly List<CachedBlock> _virtualBlocks = [];
    private CachedBlock? _newest;
    private CachedBlock? _oldest;
    private int _evicting;

    public BlockCache(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        Capacity = capacity;
    }

    public int Capacity { get; }

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _blocks.Count;
            }
        }
    }

    public PfsCacheStats Stats
    {
        get
        {
            lock (_gate)
            {
                return _counters.Snapshot();
            }
        }
    }

    /// <summary>Keys from least to most recently used (for tests and diagnostics).</summary>
    public List<BlockKey> KeysOldestFirst()
    {
        lock (_gate)
        {
            var keys = new List<BlockKey>(_blocks.Count);
            for (var block = _oldest; block is not null; block = block.Newer)
            {
                keys.Add(block.Key);
            }

            return keys;
        }
    }

    public bool Contains(BlockKey key)
    {
        lock (_gate)
        {
            return _blocks.ContainsKey(key);
        }
    }

    public bool IsDirty(BlockKey key)
    {
        lock (_gate)
        {
            return _blocks.TryGetValue(key, out var block) && block.Dirty;
        }
    }

    /// <summary>
    /// Copies the cached blocks among <c>[first, last]</c> into <paramref name="destination"/>
    /// (which starts at byte <paramref name="offset"/> of the file), counts them as read hits,
    /// and lists the blocks that are not cached.
    /// </summary>
    public void ReadCached(FileLayout layout, long offset, Span<byte> destination, long first, long last, List<long> misses)
    {
        lock (_gate)
        {
            for (var index = first; index <= last; index++)
            {
                if (_blocks.TryGetValue(new BlockKey(layout.FileId, index), out var block))
                {
                    BlockCopy.CopyOut(block.Data.AsSpan(0, block.Length), index, layout.BlockSize, offset, destination);
                    Touch(block);
                    _counters.ReadHits++;
                }
                else
                {
                    misses.Add(index);
                }
            }
        }
    }

    /// <summary>Whether any block of <paramref name="fileId"/> in [<paramref name="first"/>, <paramref name="last"/>] is cached.</summary>
    public bool CachesAny(ulong fileId, long first, long last)
    {
        lock (_gate)
        {
            // Whichever is smaller: the range (a lookup each) or the cache (a comparison each).
            if (last - first + 1 <= _blocks.Count)
            {
                for (var index = first; index <= last; index++)
                {
                    if (_blocks.ContainsKey(new BlockKey(fileId, index)))
                    {
                        return true;
                    }
                }

                return false;
            }

            foreach (var key in _blocks.Keys)
            {
                if (key.FileId == fileId && key.Index >= first && key.Index <= last)
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>Blocks among <paramref name="candidates"/> that are not cached.</summary>
    public List<long> Missing(ulong fileId, IEnumerable<long> candidates)
    {
        lock (_gate)
        {
            return candidates.Where(index => !_blocks.ContainsKey(new BlockKey(fileId, index))).ToList();
        }
    }

    /// <summary>
    /// Inserts blocks fetched from the file servers as clean entries, oldest first. Blocks that
    /// are cached already keep the cached copy. Dirty blocks pushed out are added to
    /// <paramref name="victims"/> for the caller to write back.
    /// </summary>
    public void InsertClean(FileLayout layout, IReadOnlyList<(long Index, ReadOnlyMemory<byte> Bytes)> fetched, List<CachedBlock> victims)
    {
        lock (_gate)
        {
            foreach (var (index, bytes) in fetched)
            {
                var key = new BlockKey(layout.FileId, index);
                if (_blocks.ContainsKey(key))
                {
                    continue;
                }

                var block = new CachedBlock(key, layout) { Source = bytes, Length = bytes.Length };
                InsertLocked(block, victims);
            }

            MaterializeLocked();
        }
    }

    /// <summary>
    /// Applies a write of <paramref name="data"/> at file offset <paramref name="offset"/>: cached
    /// blocks are changed in place (write hits), the others become new dirty entries. A block the
    /// write covers only in part is merged with <paramref name="oldData"/> (its current bytes
    /// from the file servers) when it is not cached. Returns nothing; victims as in InsertClean.
    /// </summary>
    public bool ApplyWrite(FileLayout layout, long offset, ReadOnlyMemory<byte> data,
                           IReadOnlyDictionary<long, ReadOnlyMemory<byte>> oldData, List<CachedBlock> victims,
                           IReadOnlyCollection<long>? needsOld = null)
    {
        var blockSize = layout.BlockSize;
        var first = offset / blockSize;
        var last = (offset + data.Length - 1) / blockSize;
        lock (_gate)
        {
            // A partly covered block the caller saw cached may have been pushed out since (by
            // another file's operation): then its old bytes are nowhere, and the caller must fetch.
            if (needsOld is not null && needsOld.Any(index => !oldData.ContainsKey(index) && !_blocks.ContainsKey(new BlockKey(layout.FileId, index))))
            {
                return false;
            }

            var tailOld = SaveTailLocked(layout, offset + data.Length, first, last, oldData);
            for (var index = first; index <= last; index++)
            {
                var blockStart = index * blockSize;
                var from = (int)Math.Max(0, offset - blockStart);
                var to = (int)Math.Min(blockSize, offset + data.Length - blockStart);
                var piece = data.Slice((int)(blockStart + from - offset), to - from);
                var key = new BlockKey(layout.FileId, index);

                if (_blocks.TryGetValue(key, out var cached))
                {
                    // Never virtual here: an operation's virtual blocks are distinct from each other.
                    piece.Span.CopyTo(cached.Data.AsSpan(from));
                    cached.Length = Math.Max(cached.Length, to);
                    cached.Layout = layout;
                    MarkDirtyLocked(cached);
                    Touch(cached);
                    _counters.WriteHits++;
                    continue;
                }

                var hasOld = oldData.TryGetValue(index, out var old);
                if (!hasOld && index == last && tailOld is { } saved)
                {
                    (old, hasOld) = (saved, true);
                }

                CachedBlock block;
                if (from == 0 && (!hasOld || old.Length <= to))
                {
                    // The write covers all the block holds: point at the caller's bytes for now.
                    block = new CachedBlock(key, layout) { Source = piece, Length = to };
                }
                else
                {
                    var buffer = Rent(blockSize, hasOld ? old.Length : 0);
                    if (hasOld)
                    {
                        old.Span.CopyTo(buffer);
                    }

                    piece.Span.CopyTo(buffer.AsSpan(from));
                    block = new CachedBlock(key, layout) { Data = buffer, Length = Math.Max(to, hasOld ? old.Length : 0) };
                }

                block.Dirty = true;
                InsertLocked(block, victims);
            }

            MaterializeLocked();
            return true;
        }
    }

    // The write's last block, when cached and only partly overwritten, was not fetched from the
    // servers; yet the blocks this write inserts before it can push it out (a clean block leaves
    // at once). Keep a copy of its bytes so the merge still has them.
    private ReadOnlyMemory<byte>? SaveTailLocked(FileLayout layout, long end, long first, long last,
                                                IReadOnlyDictionary<long, ReadOnlyMemory<byte>> oldData)
    {
        if (last == first || oldData.ContainsKey(last)
            || !_blocks.TryGetValue(new BlockKey(layout.FileId, last), out var tail) || tail.IsVirtual
            || tail.Length <= end - (last * layout.BlockSize))
        {
            return null;
        }

        return tail.Data.AsSpan(0, tail.Length).ToArray();
    }

    private void MarkDirtyLocked(CachedBlock block)
    {
        block.Dirty = true;
        block.Version++;
    }

    private void InsertLocked(CachedBlock block, List<CachedBlock> victims)
    {
        if (block.IsVirtual)
        {
            _virtualBlocks.Add(block);
        }

        _blocks.Add(block.Key, block);
        LinkNewest(block);
        EvictOverflowLocked(victims);
    }

    private void EvictOverflowLocked(List<CachedBlock> victims)
    {
        var candidate = _oldest;
        while (_blocks.Count - _evicting > Capacity && candidate is not null)
        {
            var next = candidate.Newer;
            if (candidate.Pins == 0 && !candidate.Evicting)
            {
                EvictLocked(candidate, victims);
            }

            candidate = next;
        }
    }

    private void EvictLocked(CachedBlock block, List<CachedBlock> victims)
    {
        if (!block.Dirty)
        {
            RemoveLocked(block);
            _counters.Evictions++;
            return;
        }

        if (block.IsVirtual)
        {
            // Written back straight from the caller's bytes, which outlive the operation's call.
            RemoveLocked(block);
            _counters.Evictions++;
            victims.Add(block);
            return;
        }

        // Out of the LRU list while its write-back runs (reads still find it in the map): the next
        // eviction scan must not walk past every block in flight, which made large writes quadratic.
        block.Evicting = true;
        _evicting++;
        Unlink(block);
        PinLocked(block);
        victims.Add(block);
    }

    private void MaterializeLocked()
    {
        foreach (var block in _virtualBlocks)
        {
            // Virtual victims have left the cache already; they keep pointing at the caller's bytes.
            if (block.IsVirtual && _blocks.TryGetValue(block.Key, out var cached) && ReferenceEquals(cached, block))
            {
                var buffer = Rent(block.Layout.BlockSize, block.Length);
                block.Source.Span[..block.Length].CopyTo(buffer);
                block.Data = buffer;
                block.Source = default;
            }
        }

        _virtualBlocks.Clear();
    }

    // A pooled buffer whose bytes from `from` to the block's end are zero (those before are the caller's to fill).
    private static byte[] Rent(int blockSize, int from = 0)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(blockSize);
        Array.Clear(buffer, from, blockSize - from);
        return buffer;
    }

    private void RemoveLocked(CachedBlock block)
    {
        _blocks.Remove(block.Key);
        Unlink(block);
        if (block.Data is { } data)
        {
            ArrayPool<byte>.Shared.Return(data);
            block.Data = null;
        }
    }
}
