using Pfs.MetaServer.Errors;
using Pfs.MetaServer.Locking;
using Pfs.MetaServer.Registry;

namespace Pfs.MetaServer.Sessions;

/// <summary>
/// Every open in flight or held, by (client id, open id) and by handle, plus what must be
/// remembered after one is gone: opens released before they arrived (so the late Open is
/// refused) and handles taken away by lease expiry (so their Close says why). Locks and
/// cancellation are never touched under this table's lock: methods hand back what the caller must release.
/// Each entry holds a reference to its file in the <see cref="Namespace"/> from its start to its end, so
/// a file unlinked while open lives until its last open goes (close, release or lease expiry).
/// </summary>
internal sealed class OpenTable
{
    private const int RememberedCapacity = 65_536;
    private static readonly TimeSpan ReleasedLifetime = TimeSpan.FromMinutes(2);
    private static readonly TimeSpan ExpiredLifetime = TimeSpan.FromMinutes(10);

    private readonly Lock _gate = new();
    private readonly Dictionary<(string ClientId, ulong OpenId), OpenEntry> _byOpenId = [];
    private readonly Dictionary<ulong, OpenEntry> _byHandle = [];
    private readonly Dictionary<string, HashSet<OpenEntry>> _heldByClient = new(StringComparer.Ordinal);
    private readonly ExpiringKeySet<(string ClientId, ulong OpenId)> _released;
    private readonly ExpiringKeySet<ulong> _expiredHandles;
    private readonly ExpiringKeySet<(string ClientId, ulong OpenId)> _expiredOpens;

    private readonly Namespace _names;

    public OpenTable(TimeProvider time, Namespace names)
    {
        _names = names;
        _released = new(RememberedCapacity, ReleasedLifetime, time);
        _expiredHandles = new(RememberedCapacity, ExpiredLifetime, time);
        _expiredOpens = new(RememberedCapacity, ExpiredLifetime, time);
    }

    /// <summary>Opens pending or held. Kept for tests: that every path forgets its entry shows nowhere else.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _byOpenId.Count;
            }
        }
    }

    /// <summary>Handles held (or being closed) by lock kind, for status reports.</summary>
    public (int Read, int Write) HeldCounts()
    {
        lock (_gate)
        {
            int read = 0, write = 0;
            foreach (var entry in _byHandle.Values)
            {
                if (entry.Kind == LockKind.Write)
                {
                    write++;
                }
                else
                {
                    read++;
                }
            }

            return (read, write);
        }
    }

    /// <summary>Registers an open about to wait for its lock, so a Release can cancel it.</summary>
    /// <exception cref="MetaException">Cancelled if a Release came first; InvalidArgument if the open id is in use; NotFound if the file is gone.</exception>
    public OpenEntry BeginPending(string clientId, ulong openId, string name, ulong fileId, LockKind kind, CancellationToken callCancelled)
    {
        lock (_gate)
        {
            if (_released.Contains((clientId, openId)))
            {
                throw MetaException.Cancelled($"open {openId} was released before it arrived");
            }

            if (_byOpenId.ContainsKey((clientId, openId)))
            {
                throw MetaException.InvalidArgument($"open id {openId} is already in use by client '{clientId}'");
            }

            if (!_names.TryReference(fileId))
            {
                throw MetaException.NotFound(name);
            }

            var entry = new OpenEntry(clientId, openId, name, fileId, kind, callCancelled);
            _byOpenId.Add((clientId, openId), entry);
            return entry;
        }
    }

    /// <summary>Turns a granted pending open into a held handle; false (holding nothing) if it was released meanwhile.</summary>
    public bool TryHold(OpenEntry entry, LockLease lease)
    {
        lock (_gate)
        {
            if (entry.State != OpenState.Pending)
            {
                return false;
            }

            ulong handle;
            do
            {
                handle = RandomIds.NewNonZero();
            }
            while (_byHandle.ContainsKey(handle));

            entry.State = OpenState.Held;
            entry.Handle = handle;
            entry.Lease = lease;
            _byHandle.Add(handle, entry);
            if (!_heldByClient.TryGetValue(entry.ClientId, out var held))
            {
                held = [];
                _heldByClient.Add(entry.ClientId, held);
            }

            held.Add(entry);
            return true;
        }
    }

    /// <summary>Commits a granted delete; false if it was released meanwhile.</summary>
    public bool TryStartDelete(OpenEntry entry)
    {
        lock (_gate)
        {
            if (entry.State != OpenState.Pending)
            {
                return false;
            }

            entry.State = OpenState.Deleting;
            return true;
        }
    }

    /// <summary>Drops a pending or deleting entry (its wait failed, or the delete finished).</summary>
    public void Forget(OpenEntry entry)
    {
        lock (_gate)
        {
            if (entry.State is OpenState.Pending or OpenState.Deleting)
            {
                Remove(entry);
            }
        }
    }

    /// <summary>Finds a held handle and marks it closing, so nothing else ends it while the close runs.</summary>
    /// <exception cref="MetaException">NotFound, NotOwner, LeaseExpired or Closing.</exception>
    public OpenEntry BeginClose(string clientId, ulong handle)
    {
        lock (_gate)
        {
            if (!_byHandle.TryGetValue(handle, out var entry))
            {
                throw _expiredHandles.Contains(handle)
                    ? LeaseExpired()
                    : new MetaException(MetaErrorCode.NotFound, $"handle {handle} is not open");
            }

            if (!string.Equals(entry.ClientId, clientId, StringComparison.Ordinal))
            {
                throw new MetaException(MetaErrorCode.NotOwner, $"handle {handle} belongs to another client");
            }

            if (entry.State != OpenState.Held)
            {
                throw new MetaException(MetaErrorCode.Closing, $"handle {handle} is already being closed");
            }

            entry.State = OpenState.Closing;
            return entry;
        }
    }

    /// <summary>A close that failed gives the handle back, still holding its lock, so the client can retry.</summary>
    public void AbortClose(OpenEntry entry)
    {
        lock (_gate)
        {
            if (entry.State == OpenState.Closing)
            {
                entry.State = OpenState.Held;
            }
        }
    }

    /// <summary>The held (not closing) open of <paramref name="clientId"/> with this handle, or null: for renewing its capability.</summary>
    public OpenEntry? FindHeld(string clientId, ulong handle)
    {
        lock (_gate)
        {
            return _byHandle.TryGetValue(handle, out var entry) && entry.State == OpenState.Held && string.Equals(entry.ClientId, clientId, StringComparison.Ordinal)
                ? entry
                : null;
        }
    }

    /// <summary>Forgets a closed handle; the caller then releases its lease.</summary>
    public void FinishClose(OpenEntry entry)
    {
        lock (_gate)
        {
            Remove(entry);
        }
    }

    /// <summary>
    /// Ends whatever (client id, open id) holds or waits for and remembers it, so an Open arriving
    /// later is refused. The caller cancels or releases what the result names.
    /// </summary>
    public (ReleaseOutcome Outcome, OpenEntry? Entry) Release(string clientId, ulong openId)
    {
        lock (_gate)
        {
            _released.Add((clientId, openId));
            if (!_byOpenId.TryGetValue((clientId, openId), out var entry))
            {
                return (_expiredOpens.Contains((clientId, openId)) ? ReleaseOutcome.Expired : ReleaseOutcome.Unknown, null);
            }

            switch (entry.State)
            {
                case OpenState.Pending:
                    Remove(entry);
                    return (ReleaseOutcome.CancelWait, entry);
                case OpenState.Held:
                    Remove(entry);
                    return (ReleaseOutcome.ReleaseLock, entry);
                default:
                    // Closing or deleting: that operation finishes on its own and lets go of the lock.
                    return (ReleaseOutcome.Busy, entry);
            }
        }
    }

    /// <summary>
    /// Takes every held handle of a client whose lease ran out; <paramref name="busy"/> is true if some
    /// were closing and so were left alone. The caller releases the returned leases.
    /// </summary>
    public IReadOnlyList<OpenEntry> ExpireClient(string clientId, out bool busy)
    {
        busy = false;
        lock (_gate)
        {
            if (!_heldByClient.TryGetValue(clientId, out var held))
            {
                return [];
            }

            var expired = new List<OpenEntry>(held.Count);
            foreach (var entry in held.ToArray())
            {
                if (entry.State != OpenState.Held)
                {
                    busy = true;
                    continue;
                }

                _expiredHandles.Add(entry.Handle);
                _expiredOpens.Add((entry.ClientId, entry.OpenId));
                Remove(entry);
                expired.Add(entry);
            }

            return expired;
        }
    }

    /// <summary>True if the client holds any handle (held or closing).</summary>
    public bool HasHandles(string clientId)
    {
        lock (_gate)
        {
            return _heldByClient.ContainsKey(clientId);
        }
    }

    private void Remove(OpenEntry entry)
    {
        if (entry.State == OpenState.Gone)
        {
            return;
        }

        entry.State = OpenState.Gone;
        _names.Unreference(entry.FileId);
        if (_byOpenId.TryGetValue((entry.ClientId, entry.OpenId), out var current) && ReferenceEquals(current, entry))
        {
            _byOpenId.Remove((entry.ClientId, entry.OpenId));
        }

        if (entry.Handle != 0 && _byHandle.Remove(entry.Handle)
            && _heldByClient.TryGetValue(entry.ClientId, out var held) && held.Remove(entry) && held.Count == 0)
        {
            _heldByClient.Remove(entry.ClientId);
        }
    }

    private static MetaException LeaseExpired() =>
        new(MetaErrorCode.LeaseExpired, "lease expired: the client had no Subscribe stream for too long and its handle was released");
}
