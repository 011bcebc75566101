namespace Pfs.Client.Caching;

/// <summary>A writer's change of its file's length, as the cache sees it.</summary>
internal sealed partial class BlockCache
{
    /// <summary>
    /// Cuts a file's cached blocks at <paramref name="length"/> bytes: blocks wholly at or past it leave
    /// the cache (dirty ones too: their bytes are no longer the file's), and the block it falls into keeps
    /// only the bytes below it (the rest reads as zeros, as a later extension must). Returns false,
    /// having changed nothing, while a write-back of one of the file's blocks is in flight (it could
    /// land a cut block's old bytes after the cut): wait with <see cref="WaitForWriteBacksAsync"/> and
    /// ask again.
    /// </summary>
    public bool TryTruncate(ulong fileId, long length, int blockSize)
    {
        var firstGone = (length + blockSize - 1) / blockSize;
        var cut = (int)(length % blockSize);
        lock (_gate)
        {
            if (_pinnedPerFile.ContainsKey(fileId))
            {
                return false;
            }

            var dropped = DropOfFileLocked(fileId, b => b.Key.Index >= firstGone);
            _counters.CloseEvictions += dropped;
            if (cut > 0 && _blocks.TryGetValue(new BlockKey(fileId, length / blockSize), out var last) && last.Length > cut)
            {
                // Never virtual outside an operation on the cache; the bytes past Length are zero already.
                last.Data.AsSpan(cut, last.Length - cut).Clear();
                last.Length = cut;
                last.Version++;
            }

            return true;
        }
    }
}
