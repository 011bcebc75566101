namespace Pfs.FileServer.Services;

/// <summary>
/// The bytes of WriteBytes messages a file server takes in at once. A call reserves its message's
/// length before the message is read and gives it back when the call ends; beyond the budget calls
/// wait their turn (first come, first served, so a large message is not passed over forever), and a
/// call that waited its longest is refused.
/// </summary>
internal sealed class WriteBudget
{
    private readonly Lock _gate = new();
    private readonly LinkedList<Waiter> _waiters = new();
    private long _available;

    public WriteBudget(long capacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
        _available = capacity;
    }

    /// <summary>The whole budget.</summary>
    public long Capacity { get; }

    /// <summary>Bytes reserved now.</summary>
    public long InUse
    {
        get
        {
            lock (_gate)
            {
                return Capacity - _available;
            }
        }
    }

    /// <summary>
    /// Reserves <paramref name="bytes"/> (at most the whole budget: pass what <see cref="Fit"/> returns),
    /// waiting up to <paramref name="wait"/> for them. False: not reserved (the wait ran out).
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> ended the wait; nothing is reserved.</exception>
    public ValueTask<bool> TryReserveAsync(long bytes, TimeSpan wait, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(bytes, Capacity);
        LinkedListNode<Waiter> node;
        lock (_gate)
        {
            if (_waiters.Count == 0 && _available >= bytes)
            {
                _available -= bytes;
                return ValueTask.FromResult(true);
            }

            node = _waiters.AddLast(new Waiter(bytes));
        }

        return WaitAsync(node, wait, cancellationToken);
    }

    /// <summary>Gives back what <see cref="TryReserveAsync"/> reserved.</summary>
    public void Release(long bytes)
    {
        lock (_gate)
        {
            _available += bytes;
            GrantWaiters();
        }
    }

    private async ValueTask<bool> WaitAsync(LinkedListNode<Waiter> node, TimeSpan wait, CancellationToken cancellationToken)
    {
        try
        {
            await node.Value.Granted.Task.WaitAsync(wait, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            lock (_gate)
            {
                if (node.List is not null)
                {
                    // A large waiter leaving may let smaller ones behind it go.
                    _waiters.Remove(node);
                }
                else
                {
                    // Granted just as the wait ended: give it back.
                    _available += node.Value.Bytes;
                }

                GrantWaiters();
            }

            if (ex is OperationCanceledException)
            {
                throw;
            }

            return false;
        }
    }

    /// <summary>What a message of <paramref name="bytes"/> reserves: all of it, or the whole budget if it is larger.</summary>
    public long Fit(long bytes) => Math.Min(bytes, Capacity);

    // Under _gate: the waiters at the head that now fit, in order.
    private void GrantWaiters()
    {
        while (_waiters.First is { } first && first.Value.Bytes <= _available)
        {
            _available -= first.Value.Bytes;
            _waiters.RemoveFirst();
            first.Value.Granted.TrySetResult();
        }
    }

    private sealed class Waiter(long bytes)
    {
        public long Bytes { get; } = bytes;

        public TaskCompletionSource Granted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
