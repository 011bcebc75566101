using System.Threading.Channels;
using Pfs.Protocol.Meta;

namespace Pfs.MetaServer.Sessions;

/// <summary>
/// One Subscribe stream's queue. Seq numbers are assigned under the same lock that writes the
/// channel, so seq order is channel order. The channel is bounded and is only ever written with
/// TryWrite: a full queue never blocks the writer (a Close holding a file lock); instead the
/// subscriber is marked overflowed and ended, and its client resubscribes and drops its cache.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "A CancellationTokenSource with no timer and no linked tokens holds nothing that needs disposal.")]
internal sealed class Subscriber
{
    private readonly Lock _gate = new();
    private readonly Channel<Notice> _channel;
    private readonly CancellationTokenSource _ended = new();
    private ulong _lastSeq;
    private bool _closed;

    public Subscriber(string clientId, ulong sessionId, int capacity)
    {
        ClientId = clientId;
        SessionId = sessionId;
        _channel = Channel.CreateBounded<Notice>(new BoundedChannelOptions(capacity)
        {
            // Wait only means TryWrite fails when full; nothing ever waits to write.
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
            SingleWriter = false,
            AllowSynchronousContinuations = false,
        });
    }

    public string ClientId { get; }

    public ulong SessionId { get; }

    /// <summary>Notices in seq order, for the Subscribe loop only.</summary>
    public ChannelReader<Notice> Reader => _channel.Reader;

    /// <summary>Fires when the stream must end: replaced by a newer Subscribe, or overflowed.</summary>
    public CancellationToken Ended => _ended.Token;

    public bool Overflowed { get; private set; }

    /// <summary>Whether this stream also carries EntryChanged and NodeChanged.</summary>
    public bool NamespaceNotices { get; init; }

    /// <summary>The normal form of the subscriber's identity's scope ("" for everything); see <see cref="SessionManager.Broadcast"/>.</summary>
    public string Scope { get; init; } = string.Empty;

    /// <summary>The identity the client authenticated as; null for an anonymous (loopback, no authentication) client.</summary>
    public string? Identity { get; init; }

    /// <summary>The seq of the last notice queued (0 before any).</summary>
    public ulong LastQueuedSeq
    {
        get
        {
            lock (_gate)
            {
                return _lastSeq;
            }
        }
    }

    /// <summary>Queues a notice with the next seq. The caller must call <see cref="End"/> on <see cref="EnqueueResult.Overflowed"/>.</summary>
    public EnqueueResult TryEnqueue(Notice notice)
    {
        lock (_gate)
        {
            if (_closed)
            {
                return EnqueueResult.Dropped;
            }

            notice.Seq = _lastSeq + 1;
            if (!_channel.Writer.TryWrite(notice))
            {
                // Past this point the client has missed a notice; nothing more may be queued to this session.
                Overflowed = true;
                _closed = true;
                _channel.Writer.TryComplete();
                return EnqueueResult.Overflowed;
            }

            _lastSeq = notice.Seq;
            return EnqueueResult.Queued;
        }
    }

    /// <summary>Ends the stream: no more notices are queued and the Subscribe loop stops. Idempotent.</summary>
    public void End()
    {
        lock (_gate)
        {
            _closed = true;
            _channel.Writer.TryComplete();
        }

        // Outside the gate: cancellation callbacks run inline.
        _ended.Cancel();
    }
}
