using System.Collections.Concurrent;

namespace Pfs.Erasure;

/// <summary>
/// The decode plans of the erasure patterns seen lately, so that repeated degraded reads of the
/// same pattern do not invert a matrix each time. Bounded: when full, an arbitrary plan makes
/// room (patterns are few in practice: a stripe of K + M shards with M &lt;= 4 has at most a few
/// thousand, and a degraded cluster usually shows one or two). Lookups take no lock; a miss
/// builds its plan outside the lock and then evicts and adds under it, so the cache never holds
/// more than its capacity, however many threads miss at once.
/// </summary>
internal sealed class DecodePlanCache(int capacity, Func<ShardSet, DecodePlan> create)
{
    private readonly ConcurrentDictionary<ShardSet, DecodePlan> _plans = new();
    private readonly Lock _admit = new();
    private long _builds;

    public int Count => _plans.Count;

    /// <summary>How many plans were built (cache misses), for tests.</summary>
    public long Builds => Interlocked.Read(ref _builds);

    public DecodePlan Get(ShardSet present)
    {
        if (_plans.TryGetValue(present, out var plan))
        {
            return plan;
        }
        plan = create(present);
        Interlocked.Increment(ref _builds);
        lock (_admit)
        {
            if (_plans.TryGetValue(present, out var raced))
            {
                return raced;
            }
            foreach (var entry in _plans)
            {
                if (_plans.Count < capacity)
                {
                    break;
                }
                _plans.TryRemove(entry.Key, out _);
            }
            _plans[present] = plan;
            return plan;
        }
    }
}
