namespace Pfs.Client.Transport;

/// <summary>
/// Exclusive holds on stripes of one open file. A stripe write reads the stripe's other data
/// blocks and writes parity computed from them, so two writes of one stripe must not overlap, or
/// each would encode the other's old bytes. Stripes are taken in ascending order, so two holders
/// of overlapping sets never wait for each other in a cycle.
/// </summary>
internal sealed class StripeLocks
{
    private readonly Lock _lock = new();
    private readonly Dictionary<long, TaskCompletionSource> _held = [];

    /// <summary>Takes every stripe of <paramref name="stripes"/> (ascending, without duplicates); dispose the result to give them back.</summary>
    public async Task<Holder> AcquireAsync(IReadOnlyList<long> stripes, CancellationToken cancellationToken)
    {
        var taken = 0;
        try
        {
            while (taken < stripes.Count)
            {
                Task wait;
                lock (_lock)
                {
                    while (taken < stripes.Count && !_held.ContainsKey(stripes[taken]))
                    {
                        _held[stripes[taken]] = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                        taken++;
                    }

                    if (taken == stripes.Count)
                    {
                        break;
                    }

                    wait = _held[stripes[taken]].Task;
                }

                await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            Release(stripes, taken);
            throw;
        }

        return new Holder(this, stripes);
    }

    private void Release(IReadOnlyList<long> stripes, int count)
    {
        var released = new List<TaskCompletionSource>(count);
        lock (_lock)
        {
            for (var i = 0; i < count; i++)
            {
                if (_held.Remove(stripes[i], out var done))
                {
                    released.Add(done);
                }
            }
        }

        released.ForEach(done => done.TrySetResult());
    }

    /// <summary>Stripes held until disposed.</summary>
    internal sealed class Holder(StripeLocks owner, IReadOnlyList<long> stripes) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                owner.Release(stripes, stripes.Count);
            }
        }
    }
}
