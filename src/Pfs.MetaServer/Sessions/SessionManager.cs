using Pfs.Protocol.Meta;
using Pfs.Protocol.Security;

namespace Pfs.MetaServer.Sessions;

/// <summary>
/// Which clients have a live Subscribe stream, and the fan-out of notices to them. Fan-out and
/// the swap of a client's subscriber happen under one lock, so a notice reaches either the old
/// or the new session of a resubscribing client, never neither while both look current.
/// </summary>
internal sealed partial class SessionManager
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Subscriber> _current = new(StringComparer.Ordinal);
    private readonly int _capacity;
    private readonly ILogger<SessionManager> _logger;

    // Set for good once a subscriber with a scope has come: until then no notice needs its paths looked up.
    private volatile bool _anyScoped;

    public SessionManager(MetaServerOptions options, ILogger<SessionManager> logger)
    {
        _capacity = options.NoticeQueueCapacity;
        _logger = logger;
    }

    /// <summary>Makes a new subscriber the client's current one, ending the stream of the previous one.</summary>
    /// <param name="clientId">The client the stream is for.</param>
    /// <param name="namespaceNotices">Whether it also gets EntryChanged and NodeChanged.</param>
    /// <param name="scope">The normal form of its identity's scope ("" for everything): it gets only the notices about names there.</param>
    /// <param name="identity">The identity it authenticated as, if any (see <see cref="EndSessionsOf"/>).</param>
    public Subscriber Subscribe(string clientId, bool namespaceNotices = false, string scope = "", string? identity = null)
    {
        var subscriber = new Subscriber(clientId, RandomIds.NewNonZero(), _capacity) { NamespaceNotices = namespaceNotices, Scope = scope, Identity = identity };
        if (scope.Length > 0)
        {
            _anyScoped = true;
        }

        Subscriber? previous;
        lock (_gate)
        {
            _current.TryGetValue(clientId, out previous);
            _current[clientId] = subscriber;
        }

        if (previous is not null)
        {
            LogReplaced(_logger, clientId, previous.SessionId, subscriber.SessionId);
            previous.End();
        }

        return subscriber;
    }

    /// <summary>
    /// Ends the notice stream of every client that authenticated as <paramref name="identity"/> (which was revoked): as for
    /// any client whose stream ends, its opens and locks go when its lease does, since it cannot subscribe again.
    /// Returns how many streams were ended.
    /// </summary>
    public int EndSessionsOf(string identity)
    {
        List<Subscriber> ended;
        lock (_gate)
        {
            ended = [.. _current.Values.Where(subscriber => subscriber.Identity == identity)];
        }

        foreach (var subscriber in ended)
        {
            subscriber.End();
        }

        return ended.Count;
    }

    /// <summary>Forgets the subscriber if it is still its client's current one; true if it was.</summary>
    public bool Detach(Subscriber subscriber)
    {
        lock (_gate)
        {
            if (_current.TryGetValue(subscriber.ClientId, out var current) && ReferenceEquals(current, subscriber))
            {
                _current.Remove(subscriber.ClientId);
                return true;
            }

            return false;
        }
    }

    /// <summary>Clients with a live Subscribe stream.</summary>
    public int SubscriberCount
    {
        get
        {
            lock (_gate)
            {
                return _current.Count;
            }
        }
    }

    public bool IsConnected(string clientId)
    {
        lock (_gate)
        {
            return _current.ContainsKey(clientId);
        }
    }

    /// <summary>The client's current (session id, last queued seq), or (0, 0) without a stream.</summary>
    public (ulong SessionId, ulong NoticeSeq) GetNoticePosition(string clientId)
    {
        Subscriber? subscriber;
        lock (_gate)
        {
            _current.TryGetValue(clientId, out subscriber);
        }

        return subscriber is null ? (0, 0) : (subscriber.SessionId, subscriber.LastQueuedSeq);
    }

    /// <summary>
    /// Queues a notice (a fresh one per subscriber, as each gets its own seq) to every current
    /// subscriber except <paramref name="exceptClientId"/> (with <paramref name="namespaceOnly"/>, only to those
    /// that asked for namespace notices); returns how many queued it. A subscriber with a scope gets it only if
    /// one of the full <paramref name="paths"/> the notice is about lies in its scope or on the way down to it;
    /// a notice with no paths (null from the function: a node with no name left) goes to every scope.
    /// </summary>
    public int Broadcast(Func<Notice> createNotice, string? exceptClientId, bool namespaceOnly = false, Func<IReadOnlyList<string>?>? paths = null)
    {
        var queued = 0;
        List<Subscriber>? overflowed = null;
        // Looked up outside the gate (it takes the namespace's lock). A scoped subscriber that comes after
        // this misses nothing by being skipped: the change was applied before the notice is sent, so
        // whatever it looks up after subscribing already shows it.
        var known = paths is not null && _anyScoped;
        var concerned = known ? paths!() : null;
        lock (_gate)
        {
            foreach (var (clientId, subscriber) in _current)
            {
                if (string.Equals(clientId, exceptClientId, StringComparison.Ordinal) || (namespaceOnly && !subscriber.NamespaceNotices)
                    || (paths is not null && subscriber.Scope.Length > 0 && !(known && InScope(subscriber.Scope, concerned))))
                {
                    continue;
                }

                switch (subscriber.TryEnqueue(createNotice()))
                {
                    case EnqueueResult.Queued:
                        queued++;
                        break;
                    case EnqueueResult.Overflowed:
                        (overflowed ??= []).Add(subscriber);
                        break;
                    case EnqueueResult.Dropped:
                        break;
                }
            }
        }

        foreach (var subscriber in overflowed ?? [])
        {
            LogOverflowed(_logger, subscriber.ClientId, subscriber.SessionId, _capacity);
            subscriber.End();
        }

        return queued;
    }

    private static bool InScope(string scope, IReadOnlyList<string>? paths)
    {
        if (paths is null)
        {
            return true;
        }

        foreach (var path in paths)
        {
            if (ScopePath.Covers(scope, path) || ScopePath.IsAncestor(scope, path))
            {
                return true;
            }
        }

        return false;
    }

    [LoggerMessage(EventId = 10, EventName = "SubscriberReplaced", Level = LogLevel.Information, Message = "Client '{ClientId}' resubscribed: session {OldSession} ended, session {NewSession} started")]
    private static partial void LogReplaced(ILogger logger, string clientId, ulong oldSession, ulong newSession);

    [LoggerMessage(EventId = 11, EventName = "SubscriberOverflowed", Level = LogLevel.Warning, Message = "Client '{ClientId}' fell {Capacity} notices behind; ending session {SessionId}")]
    private static partial void LogOverflowed(ILogger logger, string clientId, ulong sessionId, int capacity);
}
