namespace Pfs.Client.Caching;

/// <summary>
/// One writer's write-backs that its <c>WriteAsync</c> calls started and did not wait for, up to a
/// bound in bytes. Two kinds of blocks go here. Cached ones stay in the cache (pinned) until their
/// write lands, so a read or a partial write of them hits the cache, and a failed one stays dirty
/// for the close. Blocks of a write that the cache pushed out at once are not cached any more: they
/// travel from a pooled copy, their block range is kept here so that any read or write of this
/// file touching it waits for them first (no stale fetch, no reordering of two writes of a block),
/// and a failed one is put back into the cache as dirty. Used only under the file's gate (a
/// writer's operations are serialized), so it needs no lock of its own.
/// </summary>
internal sealed class WriteBehind(long limitBytes)
{
    private readonly Queue<Entry> _pending = new();
    private long _bytes;
    private Exception? _failure;

    /// <summary>Bytes whose write-back is in flight.</summary>
    public long Bytes => _bytes;

    /// <summary>Whether a write-back of <paramref name="bytes"/> may run behind at all.</summary>
    public bool Accepts(long bytes) => bytes <= limitBytes && bytes <= Array.MaxLength;

    /// <summary>Waits until <paramref name="bytes"/> more fit under the bound.</summary>
    public async ValueTask MakeRoomAsync(long bytes)
    {
        Reap();
        while (_pending.Count > 0 && _bytes + bytes > limitBytes)
        {
            var entry = _pending.Dequeue();
            _failure ??= await entry.Done.ConfigureAwait(false);
            _bytes -= entry.Bytes;
        }
    }

    /// <summary>
    /// Tracks a started write-back; <paramref name="done"/> never faults, it returns the failure.
    /// <paramref name="uncached"/>: the first and last index of its blocks that are not cached, if any.
    /// </summary>
    public void Add(Task<Exception?> done, long bytes, (long First, long Last)? uncached)
    {
        _pending.Enqueue(new Entry(done, bytes, uncached));
        _bytes += bytes;
    }

    /// <summary>Whether an uncached block among <c>[first, last]</c> may still be in flight.</summary>
    public bool InFlightUncached(long first, long last)
    {
        Reap();
        foreach (var entry in _pending)
        {
            if (entry.Uncached is var (from, to) && from <= last && first <= to && !entry.Done.IsCompleted)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Waits for every write-back in flight; a failure is kept for <see cref="ThrowIfFailed"/>.</summary>
    public async Task WaitAllAsync()
    {
        while (_pending.TryDequeue(out var entry))
        {
            _failure ??= await entry.Done.ConfigureAwait(false);
            _bytes -= entry.Bytes;
        }
    }

    /// <summary>
    /// Throws (once) the first failure of a finished write-back. Its blocks are still cached and
    /// dirty, so nothing is lost: the next eviction or the close writes them again.
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

    /// <summary>
    /// Waits for every write-back in flight. Failures are forgotten: their blocks are dirty again
    /// and the caller (a close) writes them itself, so it fails only if that fails too.
    /// </summary>
    public async Task DrainAsync()
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
            _bytes -= entry.Bytes;
        }
    }

    private readonly record struct Entry(Task<Exception?> Done, long Bytes, (long First, long Last)? Uncached);
}
