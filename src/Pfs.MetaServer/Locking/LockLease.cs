namespace Pfs.MetaServer.Locking;

/// <summary>A granted lock; releasing it (once, any number of calls) lets the next waiters in.</summary>
internal sealed class LockLease : IDisposable
{
    private readonly LockTable _table;
    private int _released;

    internal LockLease(LockTable table, ulong fileId, LockKind kind, object entry)
    {
        _table = table;
        FileId = fileId;
        Kind = kind;
        Entry = entry;
    }

    public ulong FileId { get; }

    public LockKind Kind { get; }

    public bool IsReleased => Volatile.Read(ref _released) != 0;

    // The table entry this lease counts in; a lease must never be subtracted from a newer entry for the same id.
    internal object Entry { get; }

    public void Release()
    {
        if (Interlocked.Exchange(ref _released, 1) == 0)
        {
            _table.Release(this);
        }
    }

    public void Dispose() => Release();
}
