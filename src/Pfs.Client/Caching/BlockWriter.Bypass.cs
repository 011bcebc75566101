using System.Buffers;

namespace Pfs.Client.Caching;

/// <summary>The large-write bypass: whole blocks of a write sent to the file servers without a stop in the cache.</summary>
internal sealed partial class BlockWriter
{
    // Blocks at least this large bypass the cache when a write covers them whole.
    private const int BypassBlockBytes = 64 * 1024;

    /// <summary>
    /// The whole blocks of a write of <c>[offset, end)</c> (blocks <paramref name="first"/> to
    /// <paramref name="last"/>) that go around the cache, if any:
    /// - large blocks (64 KiB and up) of which none is cached: copying them into the cache would
    ///   cost a copy and a pooled block each, only to write them back later (a sequential writer of
    ///   1 MiB blocks filled 128 MiB of cache before its first write-back);
    /// - small blocks beyond what the cache holds: of a 4 MiB write in 512 B blocks only the last
    ///   CacheBlocks can still be cached when it ends; the others would each become a cache entry,
    ///   an eviction and a write-back record for nothing. The last CacheBlocks whole blocks stay cached.
    /// </summary>
    public (long First, long Last)? BypassableBlocks(long offset, long end, long first, long last)
    {
        var blockSize = _layout.BlockSize;
        var fullFirst = offset % blockSize == 0 ? first : first + 1;
        var fullLast = end % blockSize == 0 ? last : last - 1;
        if (blockSize < BypassBlockBytes)
        {
            fullLast -= _cache.Capacity;
        }

        if (fullFirst > fullLast)
        {
            return null;
        }

        return _cache.CachesAny(_layout.FileId, fullFirst, fullLast) ? null : (fullFirst, fullLast);
    }

    /// <summary>
    /// Sends blocks <paramref name="first"/> to <paramref name="last"/> (all of <paramref name="data"/>)
    /// around the cache, as one range: behind, from one pooled copy, if it fits under the bound
    /// (reads and writes of the range wait for it, and if it fails its blocks go back into the
    /// cache dirty, so the close writes them); else now, from the caller's bytes. Counted as
    /// evicted and written back, what the blocks would have been had they passed through the cache.
    /// </summary>
    public async Task WriteAroundCacheAsync(ReadOnlyMemory<byte> data, long first, long last, CancellationToken cancellationToken)
    {
        var count = (int)(last - first + 1);
        _counters.Add(evictions: count, writebacks: count);
        if (!FitsBehind(data.Length))
        {
            try
            {
                await _transport.WriteAsync(_layout, BlocksOf(data, first, count), sync: false, cancellationToken).ConfigureAwait(false);
            }
            catch
            {
                _counters.Add(evictions: 0, writebacks: -count);
                throw;
            }

            return;
        }

        await MakeRoomAsync(data.Length).ConfigureAwait(false);
        var copy = ArrayPool<byte>.Shared.Rent(data.Length);
        data.CopyTo(copy);
        Track(WriteAroundBehindAsync(copy, data.Length, first, count), data.Length, (first, last));
    }

    private async Task<Exception?> WriteAroundBehindAsync(byte[] copy, int length, long first, int count)
    {
        try
        {
            await _transport.WriteAsync(_layout, BlocksOf(copy.AsMemory(0, length), first, count), sync: false, CancellationToken.None)
                .ConfigureAwait(false);
            return null;
        }
        catch (Exception ex) when (ex is PfsException or OperationCanceledException)
        {
            _counters.Add(evictions: 0, writebacks: -count);
            if (!IsDiscarded)
            {
                var failed = BlocksOf(copy.AsMemory(0, length), first, count).ConvertAll(b =>
                    new CachedBlock(new BlockKey(_layout.FileId, b.Index), _layout) { Source = b.Bytes, Length = b.Bytes.Length, Dirty = true });
                _cache.ReinsertDirty(failed);
            }

            return ex;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(copy);
        }
    }

    private List<(long Index, ReadOnlyMemory<byte> Bytes)> BlocksOf(ReadOnlyMemory<byte> data, long first, int count)
    {
        var blockSize = _layout.BlockSize;
        var blocks = new List<(long, ReadOnlyMemory<byte>)>(count);
        for (var k = 0; k < count; k++)
        {
            blocks.Add((first + k, data.Slice(k * blockSize, blockSize)));
        }

        return blocks;
    }
}
