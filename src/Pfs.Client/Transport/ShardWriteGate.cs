namespace Pfs.Client.Transport;

/// <summary>
/// One open's shard writes enter together; a heal that rebuilds a position runs alone. A heal reads
/// every stripe from the usable positions and stages the rebuilt shards, so no write of the open may
/// change a stripe meanwhile (it would skip the position being healed, which is then marked whole).
/// Writes that arrive while a heal waits or runs wait for it, so a stream of writes cannot starve it.
/// Entries do not nest: a write holding the gate never enters it again.
/// </summary>
// CA1001: the semaphore is only waited on asynchronously, so it never makes the wait handle that would need disposing.
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001", Justification = "SemaphoreSlim used without AvailableWaitHandle holds nothing to dispose.")]
internal sealed class ShardWriteGate
{
    private readonly Lock _lock = new();
    private readonly SemaphoreSlim _turnstile = new(1, 1);
    private int _writers;
    private TaskCompletionSource? _drained;
    private bool _closed;

    /// <summary>Enters for a write; dispose the result to leave.</summary>
    public async ValueTask<Entry> EnterAsync(CancellationToken cancellationToken)
    {
        await _turnstile.WaitAsync(cancellationToken).ConfigureAwait(false);
        lock (_lock)
        {
            _writers++;
        }

        _turnstile.Release();
        return new Entry(this);
    }

    /// <summary>
    /// Runs <paramref name="work"/> with no write inside the gate; false (and <paramref name="work"/> not
    /// run) once <see cref="CloseAsync"/> has been called.
    /// </summary>
    public async Task<bool> RunAloneAsync(Func<Task> work, CancellationToken cancellationToken)
    {
        await _turnstile.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            Task? drained = null;
            lock (_lock)
            {
                if (_closed)
                {
                    return false;
                }

                if (_writers > 0)
                {
                    _drained = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                    drained = _drained.Task;
                }
            }

            if (drained is not null)
            {
                await drained.WaitAsync(cancellationToken).ConfigureAwait(false);
            }

            await work().ConfigureAwait(false);
            return true;
        }
        finally
        {
            _turnstile.Release();
        }
    }

    /// <summary>No heal starts from now on; one that runs is waited for.</summary>
    public async Task CloseAsync()
    {
        await _turnstile.WaitAsync().ConfigureAwait(false);
        lock (_lock)
        {
            _closed = true;
        }

        _turnstile.Release();
    }

    private void Leave()
    {
        TaskCompletionSource? drained = null;
        lock (_lock)
        {
            if (--_writers == 0)
            {
                drained = _drained;
                _drained = null;
            }
        }

        drained?.TrySetResult();
    }

    /// <summary>A write inside the gate.</summary>
    public readonly struct Entry(ShardWriteGate gate) : IDisposable
    {
        public void Dispose() => gate.Leave();
    }
}
