using System.Collections.Concurrent;

namespace Pfs.Erasure;

/// <summary>
/// The decode plans of the erasure patterns seen lately, so that repeated degraded reads of the
/// same pattern do not invert a matrix each time. Bounded: when full, an arbitrary plan makes
/// room (patterns are few in practice: a stripe of K + M shards with M &lt;= 4 has at most a few
/// thousand, and a degraded cluster usually shows one or two). Misses racing each other may
/// overshoot the capacity by the number of threads adding at that moment; lookups take no lock.
/// </summary>
internal sealed class DecodePlanCache(int capacity, Func<ShardSet, DecodePlan> create)
{
    private readonly ConcurrentDictionary<ShardSet, DecodePlan> _plans = new();
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
        if (_plans.Count >= capacity)
        {
            foreach (var entry in _plans)
            {
                _plans.TryRemove(entry.Key, out _);
                break;
            }
        }
        return _plans.GetOrAdd(present, plan);
    }
}
