using Pfs.Client.Transport;

namespace Pfs.Client.Caching;

/// <summary>Writes into the cache: changed in place when cached, new dirty entries otherwise.</summary>
internal sealed partial class BlockCache
{
    /// <summary>
    /// Applies a write of <paramref name="data"/> at file offset <paramref name="offset"/>: cached
    /// blocks are changed in place (write hits), the others become new dirty entries. A block the
    /// write covers only in part is merged with <paramref name="oldData"/> (its current bytes
    /// from the file servers) when it is not cached. Dirty blocks pushed out are added to
    /// <paramref name="victims"/>, as in <see cref="InsertClean"/>. Returns false, having changed
    /// nothing, when a block of <paramref name="needsOld"/> is neither in <paramref name="oldData"/>
    /// nor cached any more: the caller fetches it and tries again.
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
                    cached.Dirty = true;
                    cached.Version++;
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
}
