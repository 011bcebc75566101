namespace Pfs.MetaServer.Locking;

/// <summary>
/// Reader-writer locks keyed by file id, granted strictly first come, first served: a reader
/// that arrives while a writer waits queues behind it, so writers are never starved.
/// Waiters await a TaskCompletionSource (no polling); completing one under the table's lock is
/// safe because continuations always run asynchronously. Entries with no holders and no
/// waiters are dropped, so the table only holds files in use.
/// </summary>
internal sealed class LockTable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<ulong, Entry> _entries = [];

    /// <summary>Files with holders or waiters. Kept for tests: that every path lets go of its lock shows nowhere else.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>Callers queued for the file's lock. Kept for tests: a caller that waits looks like one that is slow.</summary>
    public int WaitingCount(ulong fileId)
    {
        lock (_gate)
        {
            return _entries.TryGetValue(fileId, out var entry) ? entry.Queue.Count : 0;
        }
    }

    /// <summary>Granted locks (each reader counts) and queued callers over all files, for status reports.</summary>
    public (int Held, int Waiting) Totals()
    {
        lock (_gate)
        {
            int held = 0, waiting = 0;
            foreach (var entry in _entries.Values)
            {
                held += entry.Readers + (entry.Writer ? 1 : 0);
                waiting += entry.Queue.Count;
            }

            return (held, waiting);
        }
    }

    /// <summary>
    /// Waits for the lock. If <paramref name="cancellationToken"/> fires while waiting, nothing is
    /// held and the task is cancelled; once the lease is returned the caller owns it and must release it.
    /// A <see cref="Fail"/> while waiting (or while the file is failed) throws the failure.
    /// </summary>
    public async Task<LockLease> AcquireAsync(ulong fileId, LockKind kind, CancellationToken cancellationToken = default)
    {
        Waiter waiter;
        lock (_gate)
        {
            if (!_entries.TryGetValue(fileId, out var entry))
            {
                entry = new Entry();
                _entries.Add(fileId, entry);
            }

            if (entry.Failure is { } failure)
            {
                throw failure;
            }

            if (entry.Queue.Count == 0 && entry.CanGrant(kind))
            {
                return entry.Grant(this, fileId, kind);
            }

            if (cancellationToken.IsCancellationRequested)
            {
                DropIfIdle(fileId, entry);
                cancellationToken.ThrowIfCancellationRequested();
            }

            waiter = new Waiter(this, fileId, kind, entry);
            waiter.Node = entry.Queue.AddLast(waiter);
        }

        // Registered outside the gate: a token that is already cancelled runs Cancel inline, which takes the gate.
        using (cancellationToken.UnsafeRegister(static (state, token) => ((Waiter)state!).CancelWaiting(token), waiter))
        {
            return await waiter.Completion.Task.ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Fails every waiter of the file with <paramref name="exception"/> (a delete: NotFound) and forgets the
    /// file: acquirers get the exception until its current holders have released.
    /// </summary>
    public void Fail(ulong fileId, Exception exception)
    {
        lock (_gate)
        {
            if (!_entries.TryGetValue(fileId, out var entry))
            {
                return;
            }

            entry.Failure = exception;
            foreach (var waiter in entry.Queue)
            {
                waiter.Node = null;
                waiter.Completion.TrySetException(exception);
            }

            entry.Queue.Clear();
            DropIfIdle(fileId, entry);
        }
    }

    internal void Release(LockLease lease)
    {
        lock (_gate)
        {
            var entry = (Entry)lease.Entry;
            if (lease.Kind == LockKind.Write)
            {
                entry.Writer = false;
            }
            else
            {
                entry.Readers--;
            }

            GrantWaiters(entry);
            DropIfIdle(lease.FileId, entry);
        }
    }

    private void Cancel(Waiter waiter, CancellationToken token)
    {
        lock (_gate)
        {
            // Already granted or failed: the grant won the race, and the caller owns (and releases) the lease.
            if (waiter.Node is not { } node)
            {
                return;
            }

            var entry = waiter.Entry;
            entry.Queue.Remove(node);
            waiter.Node = null;
            waiter.Completion.TrySetCanceled(token);

            // A cancelled writer at the head may have been all that held back the readers behind it.
            GrantWaiters(entry);
            DropIfIdle(waiter.FileId, entry);
        }
    }

    private void GrantWaiters(Entry entry)
    {
        while (entry.Queue.First is { } head && entry.CanGrant(head.Value.Kind))
        {
            var waiter = head.Value;
            entry.Queue.RemoveFirst();
            waiter.Node = null;
            waiter.Completion.TrySetResult(entry.Grant(this, waiter.FileId, waiter.Kind));
        }
    }

    private void DropIfIdle(ulong fileId, Entry entry)
    {
        // Only drop the entry that is in the table: a failed entry may already have been replaced.
        if (entry.Readers == 0 && !entry.Writer && entry.Queue.Count == 0
            && _entries.TryGetValue(fileId, out var current) && ReferenceEquals(current, entry))
        {
            _entries.Remove(fileId);
        }
    }

    private sealed class Entry
    {
        public int Readers;
        public bool Writer;
        public Exception? Failure;
        public readonly LinkedList<Waiter> Queue = new();

        public bool CanGrant(LockKind kind) => kind == LockKind.Write ? Readers == 0 && !Writer : !Writer;

        public LockLease Grant(LockTable table, ulong fileId, LockKind kind)
        {
            if (kind == LockKind.Write)
            {
                Writer = true;
            }
            else
            {
                Readers++;
            }

            return new LockLease(table, fileId, kind, this);
        }
    }

    private sealed class Waiter(LockTable table, ulong fileId, LockKind kind, Entry entry)
    {
        private readonly LockTable _table = table;

        public readonly ulong FileId = fileId;
        public readonly LockKind Kind = kind;
        public readonly Entry Entry = entry;
        public readonly TaskCompletionSource<LockLease> Completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

        // Non-null while queued; guarded by the table's gate.
        public LinkedListNode<Waiter>? Node;

        public void CancelWaiting(CancellationToken token) => _table.Cancel(this, token);
    }
}
