using System.Buffers;
using Pfs.Client.Caching;

namespace Pfs.Client;

/// <summary>Writing back dirty blocks that LRU pressure pushed out.</summary>
public sealed partial class PfsClient
{
    /// <summary>
    /// Writes back dirty victims, batched per file. A failure on <paramref name="current"/>'s
    /// own blocks is thrown (its caller's write did not fully land); another file's blocks
    /// stay dirty in the cache and that file's close tries again.
    /// </summary>
    internal async Task WriteBackAsync(List<CachedBlock> victims, PfsFile current, CancellationToken cancellationToken,
                                       bool countedAhead = false)
    {
        if (victims.Count == 0)
        {
            return;
        }

        var writeBacks = Cache.PrepareWriteBacks(victims);
        var perFile = writeBacks.GroupBy(w => w.Block.Key.FileId).Select(async group =>
        {
            var batch = group.OrderBy(w => w.Block.Key.Index).ToList();
            var layout = batch[0].Block.Layout;
            try
            {
                await Transport.WriteAsync(layout, batch.ConvertAll(w => (w.Block.Key.Index, w.Bytes)), sync: false, cancellationToken)
                    .ConfigureAwait(false);
                Cache.CompleteWriteBacks(batch, succeeded: true, atClose: false, countedAhead);
            }
            catch (Exception ex) when (ex is PfsException or OperationCanceledException)
            {
                Cache.CompleteWriteBacks(batch, succeeded: false, atClose: false, countedAhead);
                if (layout.FileId == current.Layout.FileId)
                {
                    throw;
                }

                Log.WriteBackFailed(_logger, layout.Name, batch.Count, ex.Message);
            }
        });
        await Task.WhenAll(perFile).ConfigureAwait(false);
    }

    /// <summary>
    /// <see cref="WriteBackAsync"/> for write-behind: not tied to any caller's token (the caller
    /// has returned), and it returns <paramref name="current"/>'s failure instead of throwing it.
    /// Victims no longer cached point into <paramref name="copy"/> (pooled, returned at the end);
    /// if their write fails they go back into the cache as dirty blocks, so the close writes them.
    /// The victims are counted as written back now (see <see cref="BlockCache.CountAhead"/>).
    /// </summary>
    internal async Task<Exception?> WriteBehindAsync(List<CachedBlock> victims, PfsFile current, byte[]? copy)
    {
        Cache.CountAhead(victims);
        try
        {
            await WriteBackAsync(victims, current, CancellationToken.None, countedAhead: true).ConfigureAwait(false);
            return null;
        }
        catch (Exception ex) when (ex is PfsException or OperationCanceledException)
        {
            if (!current.IsLost)
            {
                Cache.ReinsertDirty(victims.FindAll(v => v.IsVirtual));
            }

            return ex;
        }
        finally
        {
            if (copy is not null)
            {
                ArrayPool<byte>.Shared.Return(copy);
            }
        }
    }
}
