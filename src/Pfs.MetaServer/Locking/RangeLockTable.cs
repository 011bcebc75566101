namespace Pfs.MetaServer.Locking;

/// <summary>Who holds an advisory lock: a lock owner (the kernel's, for a mount) of one client, and which kind of lock.</summary>
/// <param name="ClientId">The client the owner lives in.</param>
/// <param name="Owner">The owner within the client: fcntl locks belong to a process, flock locks to an open file description.</param>
/// <param name="Flock">A BSD flock lock: flock and fcntl locks never conflict with each other, as on Linux.</param>
internal readonly record struct RangeLockOwner(string ClientId, ulong Owner, bool Flock);

/// <summary>One held advisory lock: bytes <see cref="Start"/> to <see cref="End"/>, both included.</summary>
internal sealed record RangeLock(RangeLockOwner Owner, ulong Start, ulong End, bool Write, uint Pid)
{
    public bool Overlaps(ulong start, ulong end) => Start <= end && start <= End;

    /// <summary>Whether this lock stops <paramref name="owner"/> from taking [start, end] for reading or (<paramref name="write"/>) writing.</summary>
    public bool Blocks(RangeLockOwner owner, ulong start, ulong end, bool write) =>
        Owner != owner && Owner.Flock == owner.Flock && (Write || write) && Overlaps(start, end);
}

/// <summary>
/// The advisory locks of POSIX fcntl (F_GETLK, F_SETLK, F_SETLKW) and BSD flock, held for clients between hosts, by
/// file id. A lock an owner sets replaces what that owner held in its range (a write lock over a read lock, an
/// unlock splitting a range in two), as fcntl does; locks of other owners overlapping it with either one a write
/// lock conflict. A waiter is woken by every change on its file and looks again, until it is granted or gives up
/// (its call is cancelled: Ctrl+C on a mount). An fcntl wait that would close a cycle of owners waiting for each
/// other, on any files and clients, is refused at once (EDEADLK), as Linux refuses it on one machine; flock waits are
/// not checked, as on Linux.
/// Held in memory only: a restart of the metadata server drops every lock, as it drops every open.
/// </summary>
internal sealed class RangeLockTable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<ulong, FileLocks> _files = [];
    // What each waiting owner waits for (an owner waits for one lock at a time: its process is blocked in it).
    private readonly Dictionary<RangeLockOwner, (ulong FileId, ulong Start, ulong End, bool Write)> _waiting = [];
    private long _rechecks;

    /// <summary>Files with locks or waiters. Kept for tests: that every path lets go shows nowhere else.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _files.Count;
            }
        }
    }

    /// <summary>Waiters on the file's locks. Kept for tests: a caller that waits looks like one that is slow.</summary>
    public int WaitingCount(ulong fileId)
    {
        lock (_gate)
        {
            return _files.TryGetValue(fileId, out var file) ? file.Waiters.Count : 0;
        }
    }

    /// <summary>How many times a woken waiter has looked again. Kept for tests: it shows a waiter saw a change and kept waiting.</summary>
    public long Rechecks
    {
        get
        {
            lock (_gate)
            {
                return _rechecks;
            }
        }
    }

    /// <summary>The locks held on the file, in no particular order (for tests).</summary>
    public IReadOnlyList<RangeLock> Held(ulong fileId)
    {
        lock (_gate)
        {
            return _files.TryGetValue(fileId, out var file) ? [.. file.Locks] : [];
        }
    }

    /// <summary>F_GETLK: the first lock that would stop <paramref name="owner"/> from taking [start, end], or null.</summary>
    public RangeLock? FindConflict(ulong fileId, RangeLockOwner owner, ulong start, ulong end, bool write)
    {
        CheckRange(start, end);
        lock (_gate)
        {
            return _files.TryGetValue(fileId, out var file) ? Conflict(file, owner, start, end, write) : null;
        }
    }

    /// <summary>F_SETLK of a read or write lock: takes it and returns null, or returns the lock in the way and changes nothing.</summary>
    public RangeLock? TryLock(ulong fileId, RangeLockOwner owner, ulong start, ulong end, bool write, uint pid)
    {
        CheckRange(start, end);
        lock (_gate)
        {
            var file = _files.TryGetValue(fileId, out var found) ? found : null;
            if (file is not null && Conflict(file, owner, start, end, write) is { } conflict)
            {
                return conflict;
            }

            if (file is null)
            {
                file = new FileLocks();
                _files.Add(fileId, file);
            }

            Replace(file, owner, start, end, new RangeLock(owner, start, end, write, pid));
            return null;
        }
    }

    /// <summary>
    /// F_SETLKW: waits until the lock can be taken, then takes it and returns null. If waiting would deadlock (an fcntl
    /// owner that holds a lock in the way waits, directly or through others, for one that <paramref name="owner"/> holds),
    /// returns that lock in the way without waiting or changing anything. If <paramref name="cancellationToken"/> fires
    /// first, nothing changes.
    /// </summary>
    public async Task<RangeLock?> LockAsync(ulong fileId, RangeLockOwner owner, ulong start, ulong end, bool write, uint pid, CancellationToken cancellationToken)
    {
        CheckRange(start, end);
        for (var looks = 0; ; looks++)
        {
            TaskCompletionSource changed;
            FileLocks file;
            lock (_gate)
            {
                _rechecks += looks == 0 ? 0 : 1;
                if (!_files.TryGetValue(fileId, out file!))
                {
                    file = new FileLocks();
                    _files.Add(fileId, file);
                }

                if (Conflict(file, owner, start, end, write) is not { } conflict)
                {
                    Replace(file, owner, start, end, new RangeLock(owner, start, end, write, pid));
                    return null;
                }

                if (!owner.Flock && WouldDeadlock(owner, fileId, start, end, write))
                {
                    Drop(fileId, file);
                    return conflict;
                }

                changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                file.Waiters.Add(changed);
                _waiting[owner] = (fileId, start, end, write);
            }

            try
            {
                await changed.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                lock (_gate)
                {
                    file.Waiters.Remove(changed);
                    _waiting.Remove(owner);
                    Drop(fileId, file);
                }
            }
        }
    }

    /// <summary>F_SETLK of F_UNLCK: lets go of what <paramref name="owner"/> holds in [start, end] (nothing held is no error).</summary>
    public void Unlock(ulong fileId, RangeLockOwner owner, ulong start, ulong end)
    {
        CheckRange(start, end);
        lock (_gate)
        {
            if (_files.TryGetValue(fileId, out var file))
            {
                Replace(file, owner, start, end, replacement: null);
                Drop(fileId, file);
            }
        }
    }

    /// <summary>Lets go of every lock <paramref name="clientId"/> holds (its lease ended); returns how many there were.</summary>
    public int ReleaseClient(string clientId)
    {
        var released = 0;
        lock (_gate)
        {
            foreach (var (fileId, file) in _files.ToList())
            {
                var before = file.Locks.Count;
                file.Locks.RemoveAll(held => string.Equals(held.Owner.ClientId, clientId, StringComparison.Ordinal));
                if (file.Locks.Count != before)
                {
                    released += before - file.Locks.Count;
                    Wake(file);
                    Drop(fileId, file);
                }
            }
        }

        return released;
    }

    private static void CheckRange(ulong start, ulong end)
    {
        if (start > end)
        {
            throw new ArgumentOutOfRangeException(nameof(start), $"a lock's start ({start}) is past its end ({end})");
        }
    }

    /// <summary>
    /// Under the gate: whether <paramref name="owner"/> waiting for [start, end] of the file would close a cycle: some owner
    /// holding a lock in its way waits (directly, or through the owners in the way of that wait, and so on) for a lock
    /// that <paramref name="owner"/> holds. Every owner is looked at once, so the walk ends.
    /// </summary>
    private bool WouldDeadlock(RangeLockOwner owner, ulong fileId, ulong start, ulong end, bool write)
    {
        var seen = new HashSet<RangeLockOwner> { owner };
        var wanted = new Queue<(RangeLockOwner Waiter, ulong FileId, ulong Start, ulong End, bool Write)>();
        wanted.Enqueue((owner, fileId, start, end, write));
        while (wanted.TryDequeue(out var wait))
        {
            if (!_files.TryGetValue(wait.FileId, out var file))
            {
                continue;
            }

            foreach (var held in file.Locks)
            {
                if (!held.Blocks(wait.Waiter, wait.Start, wait.End, wait.Write))
                {
                    continue;
                }

                if (held.Owner == owner)
                {
                    return true;
                }

                if (seen.Add(held.Owner) && _waiting.TryGetValue(held.Owner, out var next))
                {
                    wanted.Enqueue((held.Owner, next.FileId, next.Start, next.End, next.Write));
                }
            }
        }

        return false;
    }

    private static RangeLock? Conflict(FileLocks file, RangeLockOwner owner, ulong start, ulong end, bool write)
    {
        foreach (var held in file.Locks)
        {
            if (held.Blocks(owner, start, end, write))
            {
                return held;
            }
        }

        return null;
    }

    /// <summary>
    /// Under the gate: the owner's locks lose [start, end] (a lock reaching past either side keeps that side), then
    /// <paramref name="replacement"/> is added, merged with the owner's locks of its kind that touch or overlap it.
    /// Waiters are woken whenever anything changed, since a lock that shrank or turned into a read lock may let one in.
    /// </summary>
    private static void Replace(FileLocks file, RangeLockOwner owner, ulong start, ulong end, RangeLock? replacement)
    {
        var changed = false;
        for (var i = file.Locks.Count - 1; i >= 0; i--)
        {
            var held = file.Locks[i];
            if (held.Owner != owner || !held.Overlaps(start, end))
            {
                continue;
            }

            file.Locks.RemoveAt(i);
            changed = true;
            if (held.Start < start)
            {
                file.Locks.Add(held with { End = start - 1 });
            }

            if (held.End > end)
            {
                file.Locks.Add(held with { Start = end + 1 });
            }
        }

        if (replacement is not null)
        {
            var (mergedStart, mergedEnd) = (replacement.Start, replacement.End);
            for (var i = file.Locks.Count - 1; i >= 0; i--)
            {
                var held = file.Locks[i];
                var touches = held.Start <= (mergedEnd == ulong.MaxValue ? mergedEnd : mergedEnd + 1) && mergedStart <= (held.End == ulong.MaxValue ? held.End : held.End + 1);
                if (held.Owner == owner && held.Write == replacement.Write && touches)
                {
                    file.Locks.RemoveAt(i);
                    (mergedStart, mergedEnd) = (Math.Min(mergedStart, held.Start), Math.Max(mergedEnd, held.End));
                }
            }

            file.Locks.Add(replacement with { Start = mergedStart, End = mergedEnd });
            changed = true;
        }

        if (changed)
        {
            Wake(file);
        }
    }

    private static void Wake(FileLocks file)
    {
        foreach (var waiter in file.Waiters)
        {
            waiter.TrySetResult();
        }
    }

    private void Drop(ulong fileId, FileLocks file)
    {
        if (file.Locks.Count == 0 && file.Waiters.Count == 0)
        {
            _files.Remove(fileId);
        }
    }

    private sealed class FileLocks
    {
        public List<RangeLock> Locks { get; } = [];

        public List<TaskCompletionSource> Waiters { get; } = [];
    }
}
