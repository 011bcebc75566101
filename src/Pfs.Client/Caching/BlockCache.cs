using System.Buffers;
using Pfs.Client.Striping;
using Pfs.Client.Transport;

namespace Pfs.Client.Caching;

/// <summary>
/// The client's LRU block cache, shared by all its open files. Every method takes one short lock
/// and never does I/O under it. A dirty block that LRU pressure pushes out is handed back to the
/// caller, whose <see cref="BlockWriter"/> writes it back; it stays cached (pinned) until that
/// write lands, so nobody can read a stale copy from a file server in between.
/// </summary>
internal sealed partial class BlockCache
{
    private readonly Lock _gate = new();
    private readonly Dictionary<BlockKey, CachedBlock> _blocks = [];
    // The same blocks by file: dropping or flushing one file's blocks costs its own blocks, not the whole
    // cache (an unlink or a close of a small file on a client with a large cache).
    private readonly Dictionary<ulong, HashSet<CachedBlock>> _perFile = [];
    private readonly LruList _lru = new();
    private readonly CacheCounters _counters = new();
    private readonly List<CachedBlock> _virtualBlocks = [];
    // Dirty victims whose write-back is in flight: out of the LRU list, still in the map.
    private int _evicting;

    public BlockCache(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        Capacity = capacity;
    }

    public int Capacity { get; }

    /// <summary>Blocks held now (pinned ones over the capacity included).</summary>
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

    /// <summary>What the cache counts itself (hits, clean evictions, invalidations, drops); write-backs are counted by <see cref="BlockWriter"/>.</summary>
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
                    block.ReadAhead = false;
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
            // Whichever is smaller: the range (a lookup each) or the file's cached blocks (a comparison each).
            if (last - first + 1 <= (_perFile.TryGetValue(fileId, out var cached) ? cached.Count : 0))
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

            if (_perFile.TryGetValue(fileId, out var blocks))
            {
                foreach (var block in blocks)
                {
                    if (block.Key.Index >= first && block.Key.Index <= last)
                    {
                        return true;
                    }
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
    public void InsertClean(FileLayout layout, IReadOnlyList<(long Index, ReadOnlyMemory<byte> Bytes)> fetched, List<CachedBlock> victims,
                            bool readAhead = false)
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

                var block = new CachedBlock(key, layout) { Source = bytes, Length = bytes.Length, ReadAhead = readAhead };
                _counters.ReadAheadBlocks += readAhead ? 1 : 0;
                InsertLocked(block, victims);
            }

            MaterializeLocked();
        }
    }

    private void InsertLocked(CachedBlock block, List<CachedBlock> victims)
    {
        if (block.IsVirtual)
        {
            _virtualBlocks.Add(block);
        }

        AddLocked(block);
        _lru.AddNewest(block);
        EvictOverflowLocked(victims);
    }

    private void EvictOverflowLocked(List<CachedBlock> victims)
    {
        var candidate = _lru.Oldest;
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
        // It leaves the cache (counted by the writer) once the write-back lands unchanged.
        block.Evicting = true;
        _evicting++;
        _lru.Remove(block);
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

    private void Touch(CachedBlock block)
    {
        // A block being evicted is out of the LRU list until its write-back ends.
        if (!block.Evicting)
        {
            _lru.MoveToNewest(block);
        }
    }

    // A pooled buffer whose bytes from `from` to the block's end are zero (those before are the caller's to fill).
    private static byte[] Rent(int blockSize, int from = 0)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(blockSize);
        Array.Clear(buffer, from, blockSize - from);
        return buffer;
    }

    private void AddLocked(CachedBlock block)
    {
        _blocks.Add(block.Key, block);
        if (!_perFile.TryGetValue(block.Key.FileId, out var ofFile))
        {
            _perFile[block.Key.FileId] = ofFile = [];
        }

        ofFile.Add(block);
    }

    /// <summary>The blocks of one file cached now, in no order (a copy: the caller may remove them).</summary>
    private List<CachedBlock> BlocksOfLocked(ulong fileId) =>
        _perFile.TryGetValue(fileId, out var blocks) ? [.. blocks] : [];

    private void RemoveLocked(CachedBlock block)
    {
        if (block.ReadAhead)
        {
            // Fetched ahead and dropped before any read wanted it: a wrong guess.
            _counters.ReadAheadUnused++;
        }

        _blocks.Remove(block.Key);
        if (_perFile.TryGetValue(block.Key.FileId, out var ofFile) && ofFile.Remove(block) && ofFile.Count == 0)
        {
            _perFile.Remove(block.Key.FileId);
        }

        _lru.Remove(block);
        if (block.Data is { } data)
        {
            ArrayPool<byte>.Shared.Return(data);
            block.Data = null;
        }
    }
}
