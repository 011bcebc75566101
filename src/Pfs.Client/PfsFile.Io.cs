using Pfs.Client.Caching;
using Pfs.Client.Diagnostics;
using Pfs.Client.Striping;

namespace Pfs.Client;

/// <summary>
/// The block-level work behind reads and writes: what the cache holds is used, what it lacks is
/// fetched, and every block that must reach the file servers is handed to this open's
/// <see cref="BlockWriter"/>.
/// </summary>
public sealed partial class PfsFile
{
    private async Task ReadCoreAsync(Memory<byte> destination, long offset, long size, CancellationToken cancellationToken)
    {
        var (first, last) = StripeMath.BlocksOf(offset, destination.Length, _layout.BlockSize);
        await _writer.WaitForRangeAsync(first, last).ConfigureAwait(false);
        if (_readAhead is not null)
        {
            await _readAhead.BeforeReadAsync(offset, destination.Length, first, last, size).ConfigureAwait(false);
        }

        var misses = new List<long>();
        _client.Cache.ReadCached(_layout, offset, destination.Span, first, last, misses);
        PfsMetrics.RecordMisses(misses.Count, _client.Options.ClientId);
        if (misses.Count == 0)
        {
            return;
        }

        var victims = new List<CachedBlock>();
        await _writer.ReadThenWriteBackAsync(victims, token => _client.Transport.ReadAsync(_layout, misses, (call, data) =>
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
        }, token), cancellationToken).ConfigureAwait(false);
    }

    private async Task WriteCoreAsync(ReadOnlyMemory<byte> data, long offset, CancellationToken cancellationToken)
    {
        var blockSize = _layout.BlockSize;
        var size = Size;
        var end = offset + data.Length;
        var (first, last) = StripeMath.BlocksOf(offset, data.Length, blockSize);
        // Neither fetch an old copy of a block still in flight nor let two writes of it race on the wire.
        await _writer.WaitForRangeAsync(first, last).ConfigureAwait(false);
        _writer.ThrowIfFailed();

        if (_writer.BypassableBlocks(offset, end, first, last) is var (fullFirst, fullLast))
        {
            // The partly covered blocks at either end take the cached path.
            var headEnd = fullFirst * blockSize;
            var tailStart = (fullLast + 1) * blockSize;
            if (headEnd > offset)
            {
                await WriteCoreAsync(data[..(int)(headEnd - offset)], offset, cancellationToken).ConfigureAwait(false);
            }

            InterlockedMax(ref _size, tailStart);
            _dirtied.Add(fullFirst, fullLast - fullFirst + 1);
            await _writer.WriteAroundCacheAsync(data.Slice((int)(headEnd - offset), (int)(tailStart - headEnd)), fullFirst, fullLast, cancellationToken)
                .ConfigureAwait(false);
            if (tailStart < end)
            {
                await WriteCoreAsync(data[(int)(tailStart - offset)..], tailStart, cancellationToken).ConfigureAwait(false);
            }

            return;
        }

        var victims = new List<CachedBlock>();
        await ApplyWriteAsync(data, offset, size, victims, cancellationToken).ConfigureAwait(false);

        // Recorded before the write-back: if that fails the range's contents are unknown, and
        // other clients must still be told to drop it.
        InterlockedMax(ref _size, end);
        _dirtied.Add(first, last - first + 1);
        await _writer.WriteBehindAsync(victims, cancellationToken).ConfigureAwait(false);
    }

    // Puts a write into the cache. Only the first and last block can be partly covered; if they
    // hold bytes the write does not replace and are not cached, their current contents come from
    // the servers first.
    private async Task ApplyWriteAsync(ReadOnlyMemory<byte> data, long offset, long size, List<CachedBlock> victims,
                                       CancellationToken cancellationToken)
    {
        var blockSize = _layout.BlockSize;
        var end = offset + data.Length;
        var (first, last) = StripeMath.BlocksOf(offset, data.Length, blockSize);
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
                return;
            }
        }
    }

    // Every server that got any of this open's blocks, now or by eviction earlier.
    private HashSet<int> DirtiedServers()
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
