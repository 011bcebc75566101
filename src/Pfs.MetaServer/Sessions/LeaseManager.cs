using Pfs.MetaServer.Locking;
using Pfs.MetaServer.Registry;
using Pfs.MetaServer.Services;

namespace Pfs.MetaServer.Sessions;

/// <summary>
/// Ties handles to sessions: a client that holds handles and has no live Subscribe stream gets
/// one timer (not a sweep over all clients); if it has not subscribed again when the timer
/// fires, its handles are released as if never written (no size update, no invalidations).
/// Both sides check the other after changing their own state (handle added, then stream
/// checked; stream removed, then handles checked), so no handle is ever left without a timer.
/// </summary>
internal sealed partial class LeaseManager : IDisposable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Expiry> _timers = new(StringComparer.Ordinal);
    private readonly TimeSpan _leaseTimeout;
    private readonly TimeProvider _time;
    private readonly SessionManager _sessions;
    private readonly OpenTable _opens;
    private readonly ILogger<LeaseManager> _logger;
    private readonly Namespace _names;
    private readonly ObjectCommitter _committer;
    private bool _disposed;

    private readonly ClientTokens _tokens;
    private readonly RangeLockTable _rangeLocks;

    public LeaseManager(MetaServerOptions options, TimeProvider time, SessionManager sessions, OpenTable opens,
        Namespace names, ObjectCommitter committer, ClientTokens tokens, RangeLockTable rangeLocks, ILogger<LeaseManager> logger)
    {
        _rangeLocks = rangeLocks;
        _tokens = tokens;
        _names = names;
        _committer = committer;
        _leaseTimeout = options.LeaseTimeout;
        _time = time;
        _sessions = sessions;
        _opens = opens;
        _logger = logger;
    }

    /// <summary>Running lease timers. Kept for tests: a timer that has not fired yet shows nowhere else.</summary>
    public int PendingExpiries
    {
        get
        {
            lock (_gate)
            {
                return _timers.Count;
            }
        }
    }

    /// <summary>The client has a live stream again: its handles are safe.</summary>
    public void ClientConnected(string clientId)
    {
        Expiry? expiry;
        lock (_gate)
        {
            if (_timers.Remove(clientId, out expiry))
            {
                LogLeaseKept(_logger, clientId);
            }
        }

        expiry?.Timer?.Dispose();
    }

    /// <summary>
    /// Call after the client's stream ended, and after it got a handle: starts its lease timer
    /// if it has no stream but holds handles.
    /// </summary>
    public void CheckClient(string clientId)
    {
        if (_sessions.IsConnected(clientId))
        {
            return;
        }

        lock (_gate)
        {
            if (_disposed || _timers.ContainsKey(clientId))
            {
                return;
            }

            // Created under the gate: a timer that fires at once waits here and then finds itself registered.
            var expiry = new Expiry(this, clientId);
            expiry.Timer = _time.CreateTimer(static state => ((Expiry)state!).Fire(), expiry, _leaseTimeout, Timeout.InfiniteTimeSpan);
            _timers.Add(clientId, expiry);
            LogLeaseStarted(_logger, clientId, _leaseTimeout.TotalMilliseconds);
        }
    }

    public void Dispose()
    {
        Expiry[] expiries;
        lock (_gate)
        {
            _disposed = true;
            expiries = [.. _timers.Values];
            _timers.Clear();
        }

        foreach (var expiry in expiries)
        {
            expiry.Timer?.Dispose();
        }
    }

    private void Expire(Expiry expiry)
    {
        var clientId = expiry.ClientId;
        lock (_gate)
        {
            // Cancelled by a reconnect after it had already fired, perhaps replaced by a newer timer since.
            if (!_timers.TryGetValue(clientId, out var current) || !ReferenceEquals(current, expiry))
            {
                return;
            }

            _timers.Remove(clientId);
        }

        expiry.Timer?.Dispose();

        if (_sessions.IsConnected(clientId))
        {
            return;
        }

        var expired = _opens.ExpireClient(clientId, out var busy);
        // Its advisory locks go with its opens: a process that held them on its host is gone or cut off.
        var locks = _rangeLocks.ReleaseClient(clientId);
        if (locks > 0)
        {
            LogLocksReleased(_logger, clientId, locks);
        }
        if (!busy)
        {
            // Its id is free again: a later session with it gets a new token.
            _tokens.Forget(clientId);
        }

        foreach (var entry in expired)
        {
            entry.Lease?.Release();
            if (entry.Kind == LockKind.Write && entry.Epoch != 0 && _names.FindFile(entry.FileId)?.Node is FileNode file)
            {
                // Its lock has passed on; what it staged is dropped on every server (fenced there already).
                _ = AbortAsync(file, entry.Name, entry.Epoch);
            }
        }

        if (expired.Count > 0)
        {
            LogLeaseExpired(_logger, clientId, expired.Count);
        }

        if (busy)
        {
            // A close of one of its handles is running; look again after another lease period.
            CheckClient(clientId);
        }
    }

    private async Task AbortAsync(FileNode file, string name, ulong epoch)
    {
        var confirmed = await _committer.AbortAsync(file, name, epoch).ConfigureAwait(false);
        LogAborted(_logger, name, epoch, confirmed, file.Positions);
    }

    private sealed class Expiry(LeaseManager owner, string clientId)
    {
        public string ClientId { get; } = clientId;

        public ITimer? Timer { get; set; }

        public void Fire() => owner.Expire(this);
    }

    [LoggerMessage(EventId = 20, EventName = "LeaseStarted", Level = LogLevel.Information, Message = "Client '{ClientId}' has no Subscribe stream; releasing its handles (if any) and its id in {LeaseMs} ms unless it resubscribes")]
    private static partial void LogLeaseStarted(ILogger logger, string clientId, double leaseMs);

    [LoggerMessage(EventId = 21, EventName = "LeaseKept", Level = LogLevel.Information, Message = "Client '{ClientId}' resubscribed within its lease; keeping its handles")]
    private static partial void LogLeaseKept(ILogger logger, string clientId);

    [LoggerMessage(EventId = 23, EventName = "ExpiredWriterAborted", Level = LogLevel.Information, Message = "Dropped what the expired writer of '{Name}' (epoch {Epoch}) staged: {Confirmed} of {Servers} file server(s) confirmed")]
    private static partial void LogAborted(ILogger logger, string name, ulong epoch, int confirmed, int servers);

    [LoggerMessage(EventId = 24, EventName = "LeaseExpiredLocksReleased", Level = LogLevel.Warning, Message = "Lease of client '{ClientId}' expired; released {Count} advisory lock(s)")]
    private static partial void LogLocksReleased(ILogger logger, string clientId, int count);

    [LoggerMessage(EventId = 22, EventName = "LeaseExpired", Level = LogLevel.Warning, Message = "Lease of client '{ClientId}' expired; released {Count} handle(s) without writer side effects")]
    private static partial void LogLeaseExpired(ILogger logger, string clientId, int count);
}
