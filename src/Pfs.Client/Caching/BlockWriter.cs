using Microsoft.Extensions.Logging;
using Pfs.Client.Striping;
using Pfs.Client.Transport;

namespace Pfs.Client.Caching;

/// <summary>
/// The one way an open file's operations send blocks to the file servers, and the one place that
/// counts it: eviction write-back (dirty blocks the cache pushed out, of any file), write-behind
/// (write-backs a <c>WriteAsync</c> leaves in flight when it returns, up to
/// <see cref="PfsClientOptions.WriteBehindBytes"/>), the large-write bypass (whole blocks sent
/// around the cache) and the close's flush. Callers hand it blocks; it pins and completes them in
/// the <see cref="BlockCache"/>, batches them per file for <see cref="BlockTransport"/>, and keeps
/// <see cref="Counters"/>. One per open file: the write-behind bound and its failures are the
/// file's. Write-behind state is touched only by a writer's operations, which the file serializes.
/// </summary>
internal sealed partial class BlockWriter
{
    private readonly BlockCache _cache;
    private readonly BlockTransport _transport;
    private readonly Counters _counters;
    private readonly FileLayout _layout;
    private readonly PfsClientOptions _options;
    private readonly ILogger _logger;
    private int _discarded;

    public BlockWriter(BlockCache cache, BlockTransport transport, Counters counters, FileLayout layout,
                       PfsClientOptions options, ILogger logger)
    {
        _cache = cache;
        _transport = transport;
        _counters = counters;
        _layout = layout;
        _options = options;
        _logger = logger;
    }

    /// <summary>
    /// Writes back the dirty victims an operation pushed out, batched per file, and waits. A
    /// failure on this file's own blocks is thrown (the caller's operation did not fully land);
    /// another file's blocks stay dirty in the cache and that file's close tries again.
    /// </summary>
    public async Task WriteBackAsync(List<CachedBlock> victims, CancellationToken cancellationToken)
    {
        if (victims.Count == 0)
        {
            return;
        }

        CountHandOff(victims);
        await WriteBackCoreAsync(victims, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Runs a fetch whose cache inserts may push dirty blocks out into <paramref name="victims"/>,
    /// then writes those back as <see cref="WriteBackAsync"/> does. If the fetch fails part-way (an
    /// error, a cancellation), the victims it pushed out before that are still written back, without
    /// the cancellation: they stay pinned until their write-back ends, and a close of their file would
    /// wait for them. The fetch's failure is what is reported then.
    /// </summary>
    public async Task ReadThenWriteBackAsync(List<CachedBlock> victims, Func<CancellationToken, Task> fetch, CancellationToken cancellationToken)
    {
        try
        {
            await fetch(cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            try
            {
                await WriteBackAsync(victims, CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is PfsException or OperationCanceledException)
            {
                // Its blocks stay dirty in the cache for their close; the fetch's failure is the one to report.
            }

            throw;
        }

        await WriteBackAsync(victims, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Writes every dirty block of this file and makes all that this open wrote durable on the
    /// servers of <paramref name="writtenServers"/> (every server that got any of its blocks, now
    /// or earlier). A small flush (one call per server) syncs in its write calls; a larger one
    /// writes first and then syncs each server once, not in every call: 128 blocks would
    /// otherwise cost an fsync per call.
    /// </summary>
    public async Task FlushAsync(IEnumerable<int> writtenServers)
    {
        await DrainAsync().ConfigureAwait(false);
        List<BlockCache.WriteBack>? pinned;
        while ((pinned = _cache.PinDirtyForClose(_layout.FileId)) is null)
        {
            await _cache.WaitForWriteBacksAsync(_layout.FileId).ConfigureAwait(false);
        }

        using var timeout = new CancellationTokenSource(_options.OperationTimeout);
        try
        {
            var blocks = pinned.ConvertAll(w => (w.Block.Key.Index, w.Bytes));
            // With parity every stripe write reaches M parity positions as well: sync them all after.
            var syncInline = _layout.Parity == 0 && pinned.Count <= _layout.Width;
            await _transport.WriteAsync(_layout, blocks, syncInline, timeout.Token).ConfigureAwait(false);
            var synced = syncInline ? pinned.Select(w => StripeMath.ServerOf(w.Block.Key.Index, _layout.Width)).ToHashSet() : [];
            var toSync = _layout.Parity > 0 ? _layout.WrittenPositions() : writtenServers.Where(server => !synced.Contains(server));
            await _transport.SyncAsync(_layout, toSync, timeout.Token).ConfigureAwait(false);
            _counters.AddCloseWritebacks(_cache.CompleteWriteBacks(pinned, succeeded: true));
        }
        catch (OperationCanceledException ex) when (timeout.IsCancellationRequested)
        {
            // No caller cancels a close: this is a file server that did not answer in time (down, or restarting).
            // The blocks stay dirty, and the close may be tried again.
            _cache.CompleteWriteBacks(pinned, succeeded: false);
            throw new PfsException(PfsErrorCode.Unavailable,
                $"'{_layout.Name}': the file servers did not take its writes within {_options.OperationTimeout.TotalSeconds:0.#} s ({ex.Message}); the file stays open", ex);
        }
        catch
        {
            _cache.CompleteWriteBacks(pinned, succeeded: false);
            throw;
        }
    }

    /// <summary>
    /// This open's lock is gone: drops its blocks, dirty ones too, and never puts back one whose
    /// write-back fails. Without the lock they would land unannounced (and a newer writer's fence
    /// would refuse them anyway).
    /// </summary>
    public void Discard()
    {
        Volatile.Write(ref _discarded, 1);
        _cache.DropFileWithDirty(_layout.FileId);
    }

    private bool IsDiscarded => Volatile.Read(ref _discarded) != 0;

    /// <summary>Discards the writes (see <see cref="Discard"/>) and waits for the write-backs in flight to end, their failures forgotten.</summary>
    public async Task AbandonAsync()
    {
        Discard();
        await DrainAsync().ConfigureAwait(false);
        _cache.DropFileWithDirty(_layout.FileId);
    }

    // Counted when handed over, so the counters after an operation are what they will be once its
    // write-backs land, whether it waits for them or not; Complete takes back what did not happen.
    // A cached victim leaves the cache only once written back: its eviction is counted here too.
    private void CountHandOff(List<CachedBlock> victims)
    {
        var cached = 0;
        foreach (var block in victims)
        {
            cached += block.IsVirtual ? 0 : 1;
        }

        _counters.Add(evictions: cached, writebacks: victims.Count);
    }

    private async Task WriteBackCoreAsync(List<CachedBlock> victims, CancellationToken cancellationToken)
    {
        var writeBacks = _cache.PrepareWriteBacks(victims);
        var perFile = writeBacks.GroupBy(w => w.Block.Key.FileId).Select(async group =>
        {
            var batch = group.OrderBy(w => w.Block.Key.Index).ToList();
            var layout = batch[0].Block.Layout;
            try
            {
                await _transport.WriteAsync(layout, batch.ConvertAll(w => (w.Block.Key.Index, w.Bytes)), sync: false, cancellationToken)
                    .ConfigureAwait(false);
                Complete(batch, succeeded: true);
            }
            catch (Exception ex) when (ex is PfsException or OperationCanceledException)
            {
                Complete(batch, succeeded: false);
                if (layout.FileId == _layout.FileId)
                {
                    throw;
                }

                Log.WriteBackFailed(_logger, layout.Name, batch.Count, ex.Message);
            }
        });
        await Task.WhenAll(perFile).ConfigureAwait(false);
    }

    // A cached victim counts as evicted and written back if it became clean (and so left the
    // cache); one written from the caller's bytes (virtual) counts as written back if the write
    // succeeded, its eviction having been counted by the cache when it left.
    private void Complete(List<BlockCache.WriteBack> batch, bool succeeded)
    {
        var cached = 0;
        foreach (var writeBack in batch)
        {
            cached += writeBack.Block.IsVirtual ? 0 : 1;
        }

        var evicted = _cache.CompleteWriteBacks(batch, succeeded);
        var written = evicted + (succeeded ? batch.Count - cached : 0);
        _counters.Add(evictions: evicted - cached, writebacks: written - batch.Count);
    }
}
