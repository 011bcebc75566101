namespace Pfs.MetaServer.Registry;

/// <summary>
/// What repairs have done since this metadata server started (for <c>pfs stats</c>): stale positions a
/// repairing writer's close returned to use, the files they belonged to, and when the last one was.
/// Counts only; the books of which positions are stale are the nodes themselves.
/// </summary>
internal sealed class RepairLedger(TimeProvider time)
{
    private readonly Lock _gate = new();
    private long _positions;
    private long _files;
    private DateTimeOffset? _last;

    /// <summary>A close returned <paramref name="positions"/> stale positions of one file to use.</summary>
    public void Record(int positions)
    {
        if (positions <= 0)
        {
            return;
        }

        lock (_gate)
        {
            _positions += positions;
            _files++;
            _last = time.GetUtcNow();
        }
    }

    public (long Positions, long Files, DateTimeOffset? Last) Totals()
    {
        lock (_gate)
        {
            return (_positions, _files, _last);
        }
    }
}
