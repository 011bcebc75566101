using Pfs.MetaServer.Persistence;

namespace Pfs.MetaServer.Registry;

/// <summary>
/// Files unlinked while open. Every open (waiting for its lock or holding it, and a Delete waiting for
/// its lock) holds a reference to its file; the open table takes and drops them. A file whose last name
/// goes while referenced stays in memory (and in the store, listed in <c>pfs:orphans</c>) with no name;
/// when its last reference goes it is freed: deleted from the store and handed to the reclaimer, which
/// deletes its stripe objects on every file server.
/// </summary>
internal sealed partial class Namespace
{
    private static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan LastRetry = TimeSpan.FromSeconds(10);

    // Opens per file id (pending or held).
    private readonly Dictionary<ulong, int> _references = [];
    // Files being freed: no new reference may be taken to them.
    private readonly HashSet<ulong> _freeing = [];

    /// <summary>Takes a reference for an open of file <paramref name="id"/>; false if there is no such file (any more).</summary>
    public bool TryReference(ulong id)
    {
        lock (_gate)
        {
            if (_nodes.GetValueOrDefault(id) is not FileNode || _freeing.Contains(id))
            {
                return false;
            }

            _references[id] = _references.GetValueOrDefault(id) + 1;
            return true;
        }
    }

    /// <summary>Drops a reference; an orphan whose last reference this was is freed (in the background).</summary>
    public void Unreference(ulong id)
    {
        lock (_gate)
        {
            if (!_references.TryGetValue(id, out var count))
            {
                return;
            }

            if (count > 1)
            {
                _references[id] = count - 1;
                return;
            }

            _references.Remove(id);
            FreeIfUnreferenced(id);
        }
    }

    /// <summary>Opens holding file <paramref name="id"/>. For tests.</summary>
    public int References(ulong id)
    {
        lock (_gate)
        {
            return _references.GetValueOrDefault(id);
        }
    }

    /// <summary>Orphans in memory. For tests and status.</summary>
    public int OrphanCount
    {
        get
        {
            lock (_gate)
            {
                return _nodes.Values.Count(node => node is FileNode { Links.Count: 0 });
            }
        }
    }

    /// <summary>Under the gate: starts freeing <paramref name="id"/> if it is a file with no name and no reference.</summary>
    private void FreeIfUnreferenced(ulong id)
    {
        if (_nodes.GetValueOrDefault(id) is FileNode { Links.Count: 0 } file && !_references.ContainsKey(id) && _freeing.Add(id))
        {
            _ = Task.Run(() => FreeOrphanAsync(file), CancellationToken.None);
        }
    }

    /// <summary>
    /// Frees an orphan: one store change (DEL ino, SREM orphans, and HSET reclaim unless no writer ever had it), retried until the store
    /// takes it; then memory, the reclaimer, and FileDeleted to every client.
    /// </summary>
    private async Task FreeOrphanAsync(FileNode file)
    {
        var value = NodeFields.ReclaimValue(file, string.Empty);
        // No reference is left and none can be taken (it is in _freeing): whether a writer ever had it is settled.
        var reclaim = !_epochs.NeverWritten(file.Id);
        var change = new StoreChange().DeleteNode(file.Id).RemoveOrphan(file.Id);
        if (reclaim)
        {
            change.AddReclaim(file.Id, value);
        }

        // The node is reserved as a mutation's would be: a setattr by inode or a stale mark (a file server that came
        // back without its data) that is in flight is waited for, and one that starts meanwhile waits for this and then
        // finds the file gone, rather than writing a field of a record the store no longer has.
        var reservation = new Reservation();
        reservation.Nodes.Add(file.Id);
        await ReserveAsync(reservation).ConfigureAwait(false);
        try
        {
            var delay = FirstRetry;
            while (true)
            {
                try
                {
                    await _store.ApplyAsync(change, CancellationToken.None).ConfigureAwait(false);
                    break;
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogOrphanFreeFailed(_logger, file.Id, delay.TotalMilliseconds, ex);
                    await Task.Delay(delay, _time).ConfigureAwait(false);
                    delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, LastRetry.Ticks));
                }
            }

            _crashPoints.Reached(CrashPoints.OrphanFreed);
            lock (_gate)
            {
                _nodes.Remove(file.Id);
                _freeing.Remove(file.Id);
            }
        }
        finally
        {
            lock (_gate)
            {
                Release(reservation);
            }

            reservation.Done.TrySetResult();
        }

        if (reclaim)
        {
            _reclaimer.Enqueue(file.Id, value);
        }
        else
        {
            _epochs.Forget(file.Id);
        }

        _notices.FileDeleted(string.Empty, file.Id, actor: null, neverWritten: !reclaim);
        LogOrphanFreed(_logger, file.Id);
    }

    [LoggerMessage(EventId = 41, EventName = "OrphanFreed", Level = LogLevel.Debug, Message = "File {FileId}, unlinked while open, lost its last handle and was freed")]
    private static partial void LogOrphanFreed(ILogger logger, ulong fileId);

    [LoggerMessage(EventId = 42, EventName = "OrphanFreeFailed", Level = LogLevel.Warning, Message = "Freeing orphan file {FileId} failed in the metadata store; retrying in {DelayMs} ms")]
    private static partial void LogOrphanFreeFailed(ILogger logger, ulong fileId, double delayMs, Exception exception);
}
