using System.Buffers;

namespace Pfs.Client.Caching;

/// <summary>
/// Write-behind: the write-backs this file's <c>WriteAsync</c> calls started and did not wait for,
/// up to <see cref="PfsClientOptions.WriteBehindBytes"/>. Two kinds of blocks go here. Cached ones
/// stay in the cache (pinned) until their write lands, so a read or a partial write of them hits
/// the cache, and a failed one stays dirty for the close. Blocks that are not cached (pushed out
/// at once, or sent around the cache) travel from a pooled copy; their block range is kept here so
/// that any read or write of this file touching it waits for them first (no stale fetch, no
/// reordering of two writes of a block), and a failed one is put back into the cache as dirty.
/// </summary>
internal sealed partial class BlockWriter
{
    private readonly Queue<Entry> _pending = new();
    private long _pendingBytes;
    private Exception? _failure;

    /// <summary>
    /// Writes back the dirty victims of a write: behind, if they fit under the bound (waiting for
    /// earlier ones to make room), else now. Victims of this very write that the cache pushed out
    /// at once point at the caller's bytes, which the caller may reuse once this returns, so they
    /// travel from a pooled copy.
    /// </summary>
    public async ValueTask WriteBehindAsync(List<CachedBlock> victims, CancellationToken cancellationToken)
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

        if (!FitsBehind(bytes))
        {
            await WriteBackAsync(victims, cancellationToken).ConfigureAwait(false);
            return;
        }

        await MakeRoomAsync(bytes).ConfigureAwait(false);
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

        CountHandOff(victims);
        Track(RunBehindAsync(victims, copy), bytes, uncached);
    }

    /// <summary>
    /// Waits if a block among <c>[first, last]</c> that is not cached may still be in flight: its
    /// bytes are then neither cached nor surely on the servers yet.
    /// </summary>
    public async ValueTask WaitForRangeAsync(long first, long last)
    {
        Reap();
        foreach (var entry in _pending)
        {
            if (entry.Uncached is var (from, to) && from <= last && first <= to && !entry.Done.IsCompleted)
            {
                await WaitAllAsync().ConfigureAwait(false);
                return;
            }
        }
    }

    /// <summary>
    /// Throws (once) the first failure of a finished write-behind. Its blocks are still cached and
    /// dirty, so nothing is lost: the next eviction or the close writes them again. Called before a
    /// write changes anything, so a write that throws it did nothing.
    /// </summary>
    public void ThrowIfFailed()
    {
        Reap();
        if (_failure is { } failure)
        {
            _failure = null;
            throw failure is PfsException pfs
                ? new PfsException(pfs.Code, $"an earlier write-back failed: {pfs.Message}", pfs)
                : new PfsException(PfsErrorCode.Unavailable, $"an earlier write-back failed: {failure.Message}", failure);
        }
    }

    // Whether a write-back of `bytes` may run behind at all.
    private bool FitsBehind(long bytes) => bytes <= _options.WriteBehindBytes && bytes <= Array.MaxLength;

    // Not tied to any caller's token (the caller has returned); returns the failure instead of
    // throwing it, for ThrowIfFailed. Victims no longer cached point into `copy`, returned at the end.
    private async Task<Exception?> RunBehindAsync(List<CachedBlock> victims, byte[]? copy)
    {
        try
        {
            await WriteBackCoreAsync(victims, CancellationToken.None).ConfigureAwait(false);
            return null;
        }
        catch (Exception ex) when (ex is PfsException or OperationCanceledException)
        {
            if (!IsDiscarded)
            {
                _cache.ReinsertDirty(victims.FindAll(v => v.IsVirtual));
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

    // Waits until `bytes` more fit under the bound.
    private async ValueTask MakeRoomAsync(long bytes)
    {
        Reap();
        while (_pending.Count > 0 && _pendingBytes + bytes > _options.WriteBehindBytes)
        {
            var entry = _pending.Dequeue();
            _failure ??= await entry.Done.ConfigureAwait(false);
            _pendingBytes -= entry.Bytes;
        }
    }

    // `done` never faults: it returns the failure. `uncached`: the first and last index of its
    // blocks that are not cached, if any.
    private void Track(Task<Exception?> done, long bytes, (long First, long Last)? uncached)
    {
        _pending.Enqueue(new Entry(done, bytes, uncached));
        _pendingBytes += bytes;
    }

    // Waits for every write-behind in flight; a failure is kept for ThrowIfFailed.
    private async Task WaitAllAsync()
    {
        while (_pending.TryDequeue(out var entry))
        {
            _failure ??= await entry.Done.ConfigureAwait(false);
            _pendingBytes -= entry.Bytes;
        }
    }

    // Waits for every write-behind in flight, for a close. Failures are forgotten: their blocks are
    // dirty again and the close writes them itself, so it fails only if that fails too.
    private async Task DrainAsync()
    {
        await WaitAllAsync().ConfigureAwait(false);
        _failure = null;
    }

    private void Reap()
    {
        while (_pending.TryPeek(out var entry) && entry.Done.IsCompleted)
        {
            _pending.Dequeue();
            _failure ??= entry.Done.Result;
            _pendingBytes -= entry.Bytes;
        }
    }

    private readonly record struct Entry(Task<Exception?> Done, long Bytes, (long First, long Last)? Uncached);
}
