using System.Security.Cryptography;
using Grpc.Core;
using Pfs.MetaServer.Errors;

namespace Pfs.MetaServer.Sessions;

/// <summary>
/// Binds a client id to the session that first subscribed with it: that Subscribe's Hello carries a
/// random token, and every later call naming the client id (Open, Close, Release, Delete, Subscribe)
/// must carry it in the <see cref="Header"/> request header. A client id is a name any caller may
/// claim; the token is what only its session knows, so one client cannot release another's lock or
/// end its notice stream. The binding lasts while the client is connected and for a lease after it
/// went away (a client that comes back within its lease keeps its id); then the id is free again.
/// A client id no session has subscribed with is not bound (version-1 callers that never subscribe).
/// </summary>
internal sealed class ClientTokens
{
    /// <summary>The request header carrying the token (binary: gRPC base64-encodes it on the wire).</summary>
    public const string Header = "pfs-session-bin";

    private const int TokenBytes = 16;
    private const int MaxTokenBytes = 64;

    private readonly Lock _gate = new();
    private readonly Dictionary<string, byte[]> _tokens = new(StringComparer.Ordinal);

    /// <summary>Client ids bound now (for tests and status).</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _tokens.Count;
            }
        }
    }

    /// <summary>Refuses a call naming <paramref name="clientId"/> without its session's token.</summary>
    /// <exception cref="MetaException">NotOwner (PermissionDenied) for a missing or wrong token.</exception>
    public void Check(string clientId, ServerCallContext context)
    {
        lock (_gate)
        {
            if (_tokens.TryGetValue(clientId, out var token) && !Matches(token, Presented(context)))
            {
                throw Refusal(clientId);
            }
        }
    }

    /// <summary>
    /// The token for a Subscribe naming <paramref name="clientId"/>: its session's own (when the call
    /// presents it); for an id nobody holds, the one the call presents (16 to 64 bytes), else a new one.
    /// </summary>
    /// <exception cref="MetaException">NotOwner (PermissionDenied) when another session holds the id.</exception>
    public byte[] Claim(string clientId, ServerCallContext context)
    {
        lock (_gate)
        {
            if (_tokens.TryGetValue(clientId, out var token))
            {
                return Matches(token, Presented(context)) ? token : throw Refusal(clientId);
            }

            // A client may bring its own token (so the one it sends on every call stays valid across a
            // restart of this server, with no window in which its calls carry a token not yet bound);
            // otherwise it gets a new one in the Hello.
            token = Presented(context) is { Length: >= TokenBytes and <= MaxTokenBytes } presented ? presented : RandomNumberGenerator.GetBytes(TokenBytes);
            _tokens.Add(clientId, token);
            return token;
        }
    }

    /// <summary>Frees <paramref name="clientId"/> (its lease ran out with no stream).</summary>
    public void Forget(string clientId)
    {
        lock (_gate)
        {
            _tokens.Remove(clientId);
        }
    }

    private static byte[]? Presented(ServerCallContext context) => context.RequestHeaders.GetValueBytes(Header);

    private static bool Matches(byte[] token, byte[]? presented) =>
        presented is not null && CryptographicOperations.FixedTimeEquals(token, presented);

    private static MetaException Refusal(string clientId) =>
        new(MetaErrorCode.NotOwner, $"client id '{clientId}' belongs to another session (a call naming it must carry that session's {Header} header)");
}
