using Microsoft.Extensions.Logging;
using Pfs.Protocol.Meta;

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

    public SessionManager(MetaServerOptions options, ILogger<SessionManager> logger)
    {
        _capacity = options.NoticeQueueCapacity;
        _logger = logger;
    }

    /// <summary>Makes a new subscriber the client's current one, ending the stream of the previous one.</summary>
    /// <param name="namespaceNotices">Whether it also gets EntryChanged and NodeChanged.</param>
    public Subscriber Subscribe(string clientId, bool namespaceNotices = false)
    {
        var subscriber = new Subscriber(clientId, RandomIds.NewNonZero(), _capacity) { NamespaceNotices = namespaceNotices };
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
    /// that asked for namespace notices); returns how many queued it.
    /// </summary>
    public int Broadcast(Func<Notice> createNotice, string? exceptClientId, bool namespaceOnly = false)
    {
        var queued = 0;
        List<Subscriber>? overflowed = null;
        lock (_gate)
        {
            foreach (var (clientId, subscriber) in _current)
            {
                if (string.Equals(clientId, exceptClientId, StringComparison.Ordinal) || (namespaceOnly && !subscriber.NamespaceNotices))
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

    [LoggerMessage(EventId = 10, EventName = "SubscriberReplaced", Level = LogLevel.Information, Message = "Client '{ClientId}' resubscribed: session {OldSession} ended, session {NewSession} started")]
    private static partial void LogReplaced(ILogger logger, string clientId, ulong oldSession, ulong newSession);

    [LoggerMessage(EventId = 11, EventName = "SubscriberOverflowed", Level = LogLevel.Warning, Message = "Client '{ClientId}' fell {Capacity} notices behind; ending session {SessionId}")]
    private static partial void LogOverflowed(ILogger logger, string clientId, ulong sessionId, int capacity);
}
