namespace Pfs.MetaServer.Sessions;

/// <summary>
/// Keys remembered for a while and at most <c>capacity</c> of them, oldest forgotten first, so
/// what clients can make the server remember stays bounded. Not thread-safe: the owner locks.
/// </summary>
internal sealed class ExpiringKeySet<TKey>
    where TKey : notnull
{
    private readonly Dictionary<TKey, long> _expiresAt = [];
    private readonly Queue<(TKey Key, long ExpiresAt)> _order = new();
    private readonly int _capacity;
    private readonly long _lifetimeTicks;
    private readonly TimeProvider _time;

    public ExpiringKeySet(int capacity, TimeSpan lifetime, TimeProvider time)
    {
        _capacity = capacity;
        _time = time;
        _lifetimeTicks = (long)(lifetime.TotalSeconds * time.TimestampFrequency);
    }

    public int Count => _expiresAt.Count;

    public void Add(TKey key)
    {
        var now = _time.GetTimestamp();
        Prune(now);
        var expiresAt = now + _lifetimeTicks;
        _expiresAt[key] = expiresAt;
        _order.Enqueue((key, expiresAt));
        while (_expiresAt.Count > _capacity && _order.TryDequeue(out var oldest))
        {
            ForgetIfCurrent(oldest);
        }
    }

    public bool Contains(TKey key) =>
        _expiresAt.TryGetValue(key, out var expiresAt) && expiresAt > _time.GetTimestamp();

    public bool Remove(TKey key) => _expiresAt.Remove(key);

    private void Prune(long now)
    {
        while (_order.TryPeek(out var oldest) && oldest.ExpiresAt <= now)
        {
            _order.Dequeue();
            ForgetIfCurrent(oldest);
        }

        // Re-added or removed keys leave stale queue items behind; keep the queue from outgrowing the map.
        if (_order.Count > (2 * _capacity) + 16)
        {
            var live = _order.Where(item => _expiresAt.TryGetValue(item.Key, out var at) && at == item.ExpiresAt).ToArray();
            _order.Clear();
            foreach (var item in live)
            {
                _order.Enqueue(item);
            }
        }
    }

    private void ForgetIfCurrent((TKey Key, long ExpiresAt) item)
    {
        if (_expiresAt.TryGetValue(item.Key, out var at) && at == item.ExpiresAt)
        {
            _expiresAt.Remove(item.Key);
        }
    }
}
