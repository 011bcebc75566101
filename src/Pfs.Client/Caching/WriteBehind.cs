namespace Pfs.Client.Caching;

/// <summary>
/// One writer's write-backs that its <c>WriteAsync</c> calls started and did not wait for, up to a
/// bound in bytes. Only blocks that stay cached (pinned) until their write lands go here, so a
/// read or a partial write of them hits the cache and never fetches a stale copy, a failed one
/// stays dirty for the close to write again, and a close waits for them anyway. Used only under
/// the file's gate (a writer's operations are serialized), so it needs no lock of its own.
/// </summary>
internal sealed class WriteBehind(long limitBytes)
{
    private readonly Queue<(Task<Exception?> Done, long Bytes)> _pending = new();
    private long _bytes;
    private Exception? _failure;

    /// <summary>Bytes whose write-back is in flight.</summary>
    public long Bytes => _bytes;

    /// <summary>Whether a write-back of <paramref name="bytes"/> may run behind at all.</summary>
    public bool Accepts(long bytes) => bytes <= limitBytes;

    /// <summary>Waits until <paramref name="bytes"/> more fit under the bound.</summary>
    public async ValueTask MakeRoomAsync(long bytes)
    {
        Reap();
        while (_pending.Count > 0 && _bytes + bytes > limitBytes)
        {
            var (done, size) = _pending.Dequeue();
            _failure ??= await done.ConfigureAwait(false);
            _bytes -= size;
        }
    }

    /// <summary>Tracks a started write-back; <paramref name="done"/> never faults, it returns the failure.</summary>
    public void Add(Task<Exception?> done, long bytes)
    {
        _pending.Enqueue((done, bytes));
        _bytes += bytes;
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
        while (_pending.TryDequeue(out var entry))
        {
            await entry.Done.ConfigureAwait(false);
            _bytes -= entry.Bytes;
        }

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
}
