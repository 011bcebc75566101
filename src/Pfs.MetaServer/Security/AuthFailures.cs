using System.Collections.Concurrent;
using Grpc.Core;
using Pfs.ServiceDefaults.Security;

namespace Pfs.MetaServer.Security;

/// <summary>
/// Failed authentication, logged and slowed down per peer address: each failure within a minute of
/// the last doubles the wait before the refusal is sent (from 50 ms up to the configured cap), so a
/// key cannot be guessed at network speed. A success from the peer starts it over.
/// </summary>
internal sealed partial class AuthFailures(PfsSecurityOptions options, TimeProvider time, ILogger<AuthFailures> logger)
{
    private const int MaxPeers = 10_000;
    private static readonly TimeSpan Memory = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan FirstDelay = TimeSpan.FromMilliseconds(50);
    private readonly ConcurrentDictionary<string, (int Count, DateTimeOffset Last)> _peers = new(StringComparer.Ordinal);

    /// <summary>Logs the failure, waits the peer's delay and returns the PermissionDenied to throw.</summary>
    public async Task<RpcException> FailAsync(ServerCallContext context, string? identity, string reason)
    {
        var peer = PeerAddress(context.Peer);
        var now = time.GetUtcNow();
        if (_peers.Count > MaxPeers)
        {
            _peers.Clear();
        }

        var entry = _peers.AddOrUpdate(peer, _ => (1, now), (_, old) => (now - old.Last < Memory ? old.Count + 1 : 1, now));
        Refused(logger, peer, identity ?? "-", context.Method, reason, entry.Count);
        var cap = options.FailureDelay;
        var delay = TimeSpan.FromTicks(Math.Min(cap.Ticks, FirstDelay.Ticks << Math.Min(entry.Count - 1, 20)));
        if (delay > TimeSpan.Zero)
        {
            await Task.Delay(delay, time, context.CancellationToken).ConfigureAwait(false);
        }

        return new RpcException(new Status(StatusCode.PermissionDenied, reason));
    }

    /// <summary>Logs a call that an authenticated identity may not make.</summary>
    public void Denied(ServerCallContext context, string? identity, string reason) =>
        OutOfBounds(logger, PeerAddress(context.Peer), identity ?? "-", context.Method, reason);

    public void Succeeded(ServerCallContext context) => _peers.TryRemove(PeerAddress(context.Peer), out _);

    /// <summary>"ipv4:127.0.0.1:5000" → "127.0.0.1": one entry per host, whatever its ports.</summary>
    internal static string PeerAddress(string? peer)
    {
        if (string.IsNullOrEmpty(peer))
        {
            return "unknown";
        }

        var colon = peer.IndexOf(':', StringComparison.Ordinal);
        var address = colon >= 0 ? peer[(colon + 1)..] : peer;
        var port = address.LastIndexOf(':');
        return port > 0 ? address[..port].Trim('[', ']') : address;
    }

    [LoggerMessage(EventId = 210, EventName = "AuthenticationRefused", Level = LogLevel.Warning,
        Message = "Refused {Method} from {Peer} (identity {Identity}): {Reason}; failure {Count} from that peer within a minute")]
    private static partial void Refused(ILogger logger, string peer, string identity, string method, string reason, int count);

    [LoggerMessage(EventId = 211, EventName = "CallDenied", Level = LogLevel.Information,
        Message = "Denied {Method} from {Peer} (identity {Identity}): {Reason}")]
    private static partial void OutOfBounds(ILogger logger, string peer, string identity, string method, string reason);
}
