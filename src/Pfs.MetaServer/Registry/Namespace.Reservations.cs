using Pfs.MetaServer.Errors;
using Pfs.MetaServer.Persistence;

namespace Pfs.MetaServer.Registry;

/// <summary>
/// How mutations run concurrently. Under the gate a mutation resolves its paths, checks its rules and
/// reserves every key it changes: each (directory, name) it adds, removes or replaces, and the node ids
/// whose own fields or names it changes. If another mutation holds one of them, it leaves the gate, waits
/// for that one's task and starts again from the top (re-resolving: the other may have changed
/// everything). With all reserved it writes the store outside the gate, then applies to memory under the
/// gate and lets go. So 16 creates in one directory go to the store together, while two changes of one
/// name never overlap. A mutation waits holding nothing, so waits never form a cycle.
/// </summary>
internal sealed partial class Namespace
{
    // Node ids reserved by a mutation in flight (names are reserved in their directory's Entries).
    private readonly Dictionary<ulong, Task> _reservedNodes = [];

    /// <summary>What one mutation plans to do: its store change, and what it does to memory once stored.</summary>
    /// <param name="Change">Null: nothing to do (the result is <paramref name="Apply"/>'s, computed at once).</param>
    /// <param name="What">The kind of change, for logs and errors ("unlink", "rename").</param>
    /// <param name="Name">The path it is about, for logs and errors.</param>
    /// <param name="CrashPoint">Where a crash test may stop the server once the change is stored; null for none.</param>
    /// <param name="Apply">Under the gate, after the store took the change.</param>
    /// <param name="Publish">Outside the gate, before the reservation ends: the notices.</param>
    private sealed record Plan<T>(StoreChange? Change, string What, string Name, string? CrashPoint, Func<T> Apply, Action<T>? Publish = null);

    /// <summary>The keys one mutation holds. Filled by a plan's preparation, taken all at once or not at all.</summary>
    private sealed class Reservation
    {
        public TaskCompletionSource Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Names added, removed or replaced.</summary>
        public List<(DirectoryEntries Directory, string Name)> Names { get; } = [];

        /// <summary>Nodes whose fields or names change.</summary>
        public List<ulong> Nodes { get; } = [];

        /// <summary>Directories that gain a name: none of them may be being removed.</summary>
        public List<DirectoryEntries> Into { get; } = [];

        /// <summary>A directory being removed: it must have no mutation in flight inside, and gets none until this ends.</summary>
        public DirectoryEntries? Removes { get; set; }

        /// <summary>A file freed by this mutation: no open may take a reference to it meanwhile.</summary>
        public ulong Frees { get; set; }

        public void Reset()
        {
            Names.Clear();
            Nodes.Clear();
            Into.Clear();
            Removes = null;
            Frees = 0;
        }
    }

    /// <summary>Runs one mutation: reserve (waiting as needed), write the store, apply, publish, let go.</summary>
    private async Task<T> MutateAsync<T>(Func<Reservation, Plan<T>> prepare, CancellationToken cancellationToken)
    {
        EnsureLoaded();
        var reservation = new Reservation();
        Plan<T> plan;
        while (true)
        {
            Task? wait;
            lock (_gate)
            {
                reservation.Reset();
                plan = prepare(reservation);
                if (plan.Change is null)
                {
                    return plan.Apply();
                }

                wait = TryReserve(reservation);
            }

            if (wait is null)
            {
                break;
            }

            await wait.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        try
        {
            await WriteAsync(plan.Change, plan.What, plan.Name).ConfigureAwait(false);
            if (plan.CrashPoint is { } point)
            {
                _crashPoints.Reached(point);
            }

            T result;
            lock (_gate)
            {
                result = plan.Apply();
            }

            plan.Publish?.Invoke(result);
            return result;
        }
        finally
        {
            lock (_gate)
            {
                Release(reservation);
            }

            reservation.Done.TrySetResult();
        }
    }

    /// <summary>Writes one change; any failure is Unavailable, with nothing applied in memory.</summary>
    private async Task WriteAsync(StoreChange change, string what, string name)
    {
        try
        {
            // Not cancellable: a change the store may have half-received is worse than a late answer.
            await _store.ApplyAsync(change, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not MetaException and not OperationCanceledException)
        {
            LogStoreFailed(_logger, what, name, ex);
            throw MetaException.StoreUnavailable(ex);
        }
    }

    /// <summary>Under the gate: a task to wait for if any key is held by another mutation; otherwise takes them all.</summary>
    private Task? TryReserve(Reservation reservation)
    {
        foreach (var (directory, name) in reservation.Names)
        {
            if (directory.Reserved.TryGetValue(name, out var other))
            {
                return other;
            }
        }

        foreach (var id in reservation.Nodes)
        {
            if (_reservedNodes.TryGetValue(id, out var other))
            {
                return other;
            }
        }

        foreach (var directory in reservation.Into)
        {
            if (directory.Removing is { } removal)
            {
                return removal;
            }
        }

        if (reservation.Removes is { Reserved.Count: > 0 } removed)
        {
            return removed.Reserved.Values.First();
        }

        var mine = reservation.Done.Task;
        foreach (var (directory, name) in reservation.Names)
        {
            directory.Reserved.TryAdd(name, mine);
        }

        foreach (var id in reservation.Nodes)
        {
            _reservedNodes.TryAdd(id, mine);
        }

        reservation.Removes?.Removing = mine;
        if (reservation.Frees != 0)
        {
            _freeing.Add(reservation.Frees);
        }

        return null;
    }

    /// <summary>Outside the gate: takes every key of <paramref name="reservation"/>, first waiting for any mutation that holds one.</summary>
    private async Task ReserveAsync(Reservation reservation)
    {
        while (true)
        {
            Task? wait;
            lock (_gate)
            {
                wait = TryReserve(reservation);
            }

            if (wait is null)
            {
                return;
            }

            await wait.ConfigureAwait(false);
        }
    }

    private void Release(Reservation reservation)
    {
        var mine = reservation.Done.Task;
        foreach (var (directory, name) in reservation.Names)
        {
            if (directory.Reserved.TryGetValue(name, out var held) && held == mine)
            {
                directory.Reserved.Remove(name);
            }
        }

        foreach (var id in reservation.Nodes)
        {
            if (_reservedNodes.TryGetValue(id, out var held) && held == mine)
            {
                _reservedNodes.Remove(id);
            }
        }

        if (reservation.Removes is { } removed && removed.Removing == mine)
        {
            removed.Removing = null;
        }

        if (reservation.Frees != 0)
        {
            _freeing.Remove(reservation.Frees);
        }
    }

    /// <summary>Under the gate: the current version of a directory with its entry times moved to now.</summary>
    private DirectoryNode TouchDirectory(ulong id, DateTimeOffset now)
    {
        var current = (DirectoryNode)_nodes[id];
        var touched = current with { Modified = now, Changed = Later(current.Changed, now) };
        _nodes[id] = touched;
        return touched;
    }

    /// <summary>
    /// The store fields of a directory whose entries changed now (written without reserving it): mtime becomes
    /// now, as POSIX has it, even from a time set into the future; ctime never goes back.
    /// </summary>
    private static IReadOnlyList<KeyValuePair<string, string>> EntryTimes(DirectoryNode directory, DateTimeOffset now) =>
        NodeFields.EntryTimes(directory with { Modified = now, Changed = Later(directory.Changed, now) });
}
