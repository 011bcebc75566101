namespace Pfs.FileServer.Services;

/// <summary>
/// Whether clients are using this server now (reads and writes in flight) or were a moment ago: the
/// scrub runs only while they are not, so it never competes with them for the disk.
/// </summary>
public sealed class ClientActivity
{
    private int _inFlight;
    private long _lastEndTicks = Environment.TickCount64;

    /// <summary>A client call starts; disposing the result ends it.</summary>
    public Call Enter()
    {
        Interlocked.Increment(ref _inFlight);
        return new Call(this);
    }

    /// <summary>True if no client call is in flight and none ended within <paramref name="quiet"/>.</summary>
    public bool IsIdle(TimeSpan quiet) =>
        Volatile.Read(ref _inFlight) == 0 && Environment.TickCount64 - Interlocked.Read(ref _lastEndTicks) >= quiet.TotalMilliseconds;

    private void Leave()
    {
        Interlocked.Exchange(ref _lastEndTicks, Environment.TickCount64);
        Interlocked.Decrement(ref _inFlight);
    }

    /// <summary>One client call in flight.</summary>
    public readonly struct Call(ClientActivity owner) : IDisposable
    {
        public void Dispose() => owner.Leave();
    }
}
