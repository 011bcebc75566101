using System.Buffers;
using Pfs.Client.Caching;
using Pfs.Client.Diagnostics;
using Pfs.Client.Striping;

namespace Pfs.Client;

/// <summary>The block-level work behind reads, writes and a writer's close.</summary>
public sealed partial class PfsFile
{
    private async Task ReadCoreAsync(Memory<byte> destination, long offset, long size, CancellationToken cancellationToken)
    {
        var (first, last) = StripeMath.BlocksOf(offset, destination.Length, _layout.BlockSize);
        if (_behind.InFlightUncached(first, last))
        {
            // Their bytes are neither cached nor surely on the servers yet.
            await _behind.WaitAllAsync().ConfigureAwait(false);
        }

        var misses = new List<long>();
        _client.Cache.ReadCached(_layout, offset, destination.Span, first, last, misses);
        PfsMetrics.RecordMisses(misses.Count, _client.Options.ClientId);
        if (misses.Count == 0)
        {
            return;
        }

        var victims = new List<CachedBlock>();
        await _client.Transport.ReadAsync(_layout, misses, (call, data) =>
        {
            var fetched = new List<(long Index, ReadOnlyMemory<byte> Bytes)>(call.BlockCount);
            for (var run = 0; run < call.Runs.Count; run++)
            {
                for (var k = 0; k < call.Runs[run].Count; k++)
                {
                    var block = BlockOf(_layout, call, run, k, data[run], size);
                    BlockCopy.CopyOut(block.Bytes.Span, block.Index, _layout.BlockSize, offset, destination.Span);
                    fetched.Add(block);
                }
            }

            var found = new List<CachedBlock>();
            _client.Cache.InsertClean(_layout, fetched, found);
            lock (victims)
            {
                victims.AddRange(found);
            }
        }, cancellationToken).ConfigureAwait(false);

        await _client.WriteBackAsync(victims, this, cancellationToken).ConfigureAwait(false);
    }

    // Blocks at least this large bypass the cache when a write covers them whole (see BypassableBlocks).
    private const int BypassBlockBytes = 64 * 1024;

    private async Task WriteCoreAsync(ReadOnlyMemory<byte> data, long offset, CancellationToken cancellationToken)
    {
        var blockSize = _layout.BlockSize;
        var size = Size;
        var end = offset + data.Length;
        var (first, last) = StripeMath.BlocksOf(offset, data.Length, blockSize);
        if (_behind.InFlightUncached(first, last))
        {
            // Neither fetch an old copy of such a block nor let two writes of it race on the wire.
            await _behind.WaitAllAsync().ConfigureAwait(false);
        }

        // Before anything of this write is applied: if it throws, this write did nothing.
        _behind.ThrowIfFailed();

        if (BypassableBlocks(offset, end, first, last) is var (fullFirst, fullLast))
        {
            // Large blocks the write covers whole go to the servers without a stop in the cache;
            // the partly covered blocks at either end take the cached path.
            var headEnd = fullFirst * blockSize;
            var tailStart = (fullLast + 1) * blockSize;
            if (headEnd > offset)
            {
                await WriteCoreAsync(data[..(int)(headEnd - offset)], offset, cancellationToken).ConfigureAwait(false);
            }

            await WriteBypassingCacheAsync(data.Slice((int)(headEnd - offset), (int)(tailStart - headEnd)), fullFirst, fullLast, cancellationToken).ConfigureAwait(false);
            if (tailStart < end)
            {
                await WriteCoreAsync(data[(int)(tailStart - offset)..], tailStart, cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        // Only the first and last block can be partly covered; if they hold bytes the write
        // does not replace and are not cached, their current contents come from the servers.
        var partial = new List<long>(2);
        foreach (var index in first == last ? [first] : new[] { first, last })
        {
            var existing = Math.Clamp(size - (index * blockSize), 0, blockSize);
            var from = Math.Max(0, offset - (index * blockSize));
            var to = Math.Min(blockSize, end - (index * blockSize));
            if (existing > 0 && (from > 0 || to < existing))
            {
                partial.Add(index);
            }
        }

        var oldData = new Dictionary<long, ReadOnlyMemory<byte>>();
        var victims = new List<CachedBlock>();
        while (true)
        {
            var toFetch = partial.Count == 0 ? partial : _client.Cache.Missing(_layout.FileId, partial.Where(i => !oldData.ContainsKey(i)));
            if (toFetch.Count > 0)
            {
                await _client.Transport.ReadAsync(_layout, toFetch, (call, replies) =>
                {
                    lock (oldData)
                    {
                        for (var run = 0; run < call.Runs.Count; run++)
                        {
                            for (var k = 0; k < call.Runs[run].Count; k++)
                            {
                                // A copy: the reply's buffer goes back to the pool when this returns.
                                var block = BlockOf(_layout, call, run, k, replies[run], size);
                                oldData[block.Index] = block.Bytes.ToArray();
                            }
                        }
                    }
                }, cancellationToken).ConfigureAwait(false);
            }

            // False only if a block seen cached a moment ago was pushed out meanwhile: fetch it too.
            if (_client.Cache.ApplyWrite(_layout, offset, data, oldData, victims, partial))
            {
                break;
            }
        }

        // Recorded before the write-back: if that fails the range's contents are unknown, and
        // other clients must still be told to drop it.
        InterlockedMax(ref _size, end);
        _dirtied.Add(first, last - first + 1);
        await WriteBackVictimsAsync(victims, cancellationToken).ConfigureAwait(false);
    }

    // Whole blocks of [offset, end) that go to the servers without a stop in the cache, if any:
    // - large blocks (64 KiB and up) that none is cached: copying them into the cache would cost a
    //   copy and a pooled block each, only to write them back later (a sequential writer of 1 MiB
    //   blocks filled 128 MiB of cache before its first write-back);
    // - small blocks beyond what the cache holds: of a 4 MiB write in 512 B blocks only the last
    //   CacheBlocks can still be cached when it ends; the others would each become a cache entry, an
    //   eviction and a write-back record for nothing. The last CacheBlocks whole blocks stay cached.
    private (long First, long Last)? BypassableBlocks(long offset, long end, long first, long last)
    {
        var blockSize = _layout.BlockSize;
        var fullFirst = offset % blockSize == 0 ? first : first + 1;
        var fullLast = end % blockSize == 0 ? last : last - 1;
        if (blockSize < BypassBlockBytes)
        {
            fullLast -= _client.Cache.Capacity;
        }

        if (fullFirst > fullLast)
        {
            return null;
        }

        return _client.Cache.CachesAny(_layout.FileId, fullFirst, fullLast) ? null : (fullFirst, fullLast);
    }

    // Written behind from one pooled copy, as one range: reads and writes of it wait for it, and if
    // it fails its blocks go back into the cache dirty, so the close writes them. Counted as evicted
    // and written back, what the blocks would have been had they passed through the cache.
    private async Task WriteBypassingCacheAsync(ReadOnlyMemory<byte> data, long fullFirst, long fullLast, CancellationToken cancellationToken)
    {
        var blockSize = _layout.BlockSize;
        var count = (int)(fullLast - fullFirst + 1);
        InterlockedMax(ref _size, (fullLast + 1) * blockSize);
        _dirtied.Add(fullFirst, count);
        _client.Cache.CountBypassed(count);
        if (!_behind.Accepts(data.Length))
        {
            // Too large to run behind: written now, straight from the caller's bytes.
            try
            {
                await _client.Transport.WriteAsync(_layout, BlocksOf(data, fullFirst, count), sync: false, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                _client.Cache.UncountBypassedWriteBacks(count);
                throw;
            }

            return;
        }

        await _behind.MakeRoomAsync(data.Length).ConfigureAwait(false);
        var copy = ArrayPool<byte>.Shared.Rent(data.Length);
        data.CopyTo(copy);
        _behind.Add(WriteBehindDirectAsync(copy, data.Length, fullFirst, count), data.Length, (fullFirst, fullLast));
    }

    private async Task<Exception?> WriteBehindDirectAsync(byte[] copy, int length, long fullFirst, int count)
    {
        try
        {
            await _client.Transport.WriteAsync(_layout, BlocksOf(copy.AsMemory(0, length), fullFirst, count), sync: false, CancellationToken.None).ConfigureAwait(false);
            return null;
        }
        catch (Exception ex) when (ex is PfsException or OperationCanceledException)
        {
            _client.Cache.UncountBypassedWriteBacks(count);
            if (!IsLost)
            {
                var failed = BlocksOf(copy.AsMemory(0, length), fullFirst, count)
                    .ConvertAll(b => new CachedBlock(new BlockKey(_layout.FileId, b.Index), _layout) { Source = b.Bytes, Length = b.Bytes.Length, Dirty = true });
                _client.Cache.ReinsertDirty(failed);
            }

            return ex;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(copy);
        }
    }

    private List<(long Index, ReadOnlyMemory<byte> Bytes)> BlocksOf(ReadOnlyMemory<byte> data, long fullFirst, int count)
    {
        var blockSize = _layout.BlockSize;
        var blocks = new List<(long, ReadOnlyMemory<byte>)>(count);
        for (var k = 0; k < count; k++)
        {
            blocks.Add((fullFirst + k, data.Slice(k * blockSize, blockSize)));
        }

        return blocks;
    }

    // Written behind, up to the bound: cached victims are pooled copies, pinned until their write
    // lands; victims of this very write that the cache pushed out at once point at the caller's
    // bytes, which the caller may reuse once this returns, so they travel from a pooled copy.
    private async Task WriteBackVictimsAsync(List<CachedBlock> victims, CancellationToken cancellationToken)
    {
        if (victims.Count == 0)
        {
            return;
        }

        long bytes = 0, ownBytes = 0;
        (long First, long Last)? uncached = null;
        foreach (var block in victims)
        {
            bytes += block.Length;
            if (block.IsVirtual)
            {
                ownBytes += block.Length;
                var index = block.Key.Index;
                uncached = uncached is var (from, to) ? (Math.Min(from, index), Math.Max(to, index)) : (index, index);
            }
        }

        if (!_behind.Accepts(bytes))
        {
            await _client.WriteBackAsync(victims, this, cancellationToken).ConfigureAwait(false);
            return;
        }

        await _behind.MakeRoomAsync(bytes).ConfigureAwait(false);
        byte[]? copy = null;
        if (ownBytes > 0)
        {
            // These blocks have left the cache: only this operation refers to them.
            copy = ArrayPool<byte>.Shared.Rent(checked((int)ownBytes));
            var used = 0;
            foreach (var block in victims)
            {
                if (block.IsVirtual)
                {
                    block.Bytes.Span.CopyTo(copy.AsSpan(used));
                    block.Source = copy.AsMemory(used, block.Length);
                    used += block.Length;
                }
            }
        }

        _behind.Add(_client.WriteBehindAsync(victims, this, copy), bytes, uncached);
    }

    // Writes back every dirty block of this file and syncs every server that got any of this
    // file's blocks (now or by eviction earlier), so all of it is on stable storage. A small flush
    // (one call per server) syncs in its write calls; a larger one writes first and then syncs
    // each server once, not in every call: 128 blocks would otherwise cost an fsync per call.
    private async Task FlushForCloseAsync()
    {
        await _behind.DrainAsync().ConfigureAwait(false);
        List<BlockCache.WriteBack>? pinned;
        while ((pinned = _client.Cache.PinDirtyForClose(_layout.FileId)) is null)
        {
            await _client.Cache.WaitForWriteBacksAsync(_layout.FileId).ConfigureAwait(false);
        }

        using var timeout = new CancellationTokenSource(_client.Options.OperationTimeout);
        try
        {
            var blocks = pinned.ConvertAll(w => (w.Block.Key.Index, w.Bytes));
            var syncInline = pinned.Count <= _layout.Width;
            await _client.Transport.WriteAsync(_layout, blocks, syncInline, timeout.Token).ConfigureAwait(false);
            var synced = syncInline ? pinned.Select(w => StripeMath.ServerOf(w.Block.Key.Index, _layout.Width)).ToHashSet() : [];
            var toSync = DirtiedServers().Where(server => !synced.Contains(server));
            await _client.Transport.SyncAsync(_layout, toSync, timeout.Token).ConfigureAwait(false);
            _client.Cache.CompleteWriteBacks(pinned, succeeded: true, atClose: true);
        }
        catch
        {
            _client.Cache.CompleteWriteBacks(pinned, succeeded: false, atClose: true);
            throw;
        }
    }

    private IEnumerable<int> DirtiedServers()
    {
        var servers = new HashSet<int>();
        foreach (var (start, count) in _dirtied.Ranges())
        {
            for (var index = start; index < start + Math.Min(count, _layout.Width); index++)
            {
                servers.Add(StripeMath.ServerOf(index, _layout.Width));
            }
        }

        return servers;
    }

    private static void InterlockedMax(ref long target, long value)
    {
        var current = Interlocked.Read(ref target);
        while (value > current)
        {
            var seen = Interlocked.CompareExchange(ref target, value, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
}
