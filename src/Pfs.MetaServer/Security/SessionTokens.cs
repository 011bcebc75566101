using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Google.Protobuf;
using Pfs.Protocol;
using Pfs.Protocol.Security;

namespace Pfs.MetaServer.Security;

/// <summary>
/// Session tokens: what a client gets for proving its key, and sends with every call after. HMAC
/// with a key derived from the cluster key, so checking one costs a hash, not a signature; they
/// outlive a restart of the server (same key) but not the identity's revocation (the serial).
/// </summary>
internal sealed class SessionTokens(CapabilitySigner signer, TimeProvider time)
{
    /// <summary>
    /// Ten minutes: a client re-authenticates at half of it (one signature check per client every five
    /// minutes), and revocation does not wait for it, since every call looks the identity up.
    /// </summary>
    public static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(10);

    // A token is well under 200 bytes; anything much longer is not one.
    private const int MaxTokenBytes = 1024;
    private static readonly byte[] Domain = "pfs-session-v1\0"u8.ToArray();
    private readonly byte[] _key = signer.DeriveKey("session");

    public SessionToken Issue(Identity identity)
    {
        var token = new SessionToken
        {
            Identity = identity.Name,
            Serial = identity.Serial,
            ExpiresUnixMs = (time.GetUtcNow() + Lifetime).ToUnixTimeMilliseconds(),
        };
        token.Mac = ByteString.CopyFrom(Mac(token));
        return token;
    }

    /// <summary>The token in <paramref name="bytes"/> if it is one this cluster signed and has not expired; else null.</summary>
    public SessionToken? Verify(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length is 0 or > MaxTokenBytes)
        {
            return null;
        }

        SessionToken token;
        try
        {
            token = SessionToken.Parser.ParseFrom(bytes);
        }
        catch (InvalidProtocolBufferException)
        {
            return null;
        }

        return token.Mac.Length == 32
            && CryptographicOperations.FixedTimeEquals(Mac(token), token.Mac.Span)
            && token.ExpiresUnixMs > time.GetUtcNow().ToUnixTimeMilliseconds()
            ? token
            : null;
    }

    private byte[] Mac(SessionToken token)
    {
        var name = Encoding.UTF8.GetBytes(token.Identity);
        var buffer = new byte[Domain.Length + 4 + name.Length + 16];
        Domain.CopyTo(buffer, 0);
        var at = Domain.Length;
        BinaryPrimitives.WriteInt32LittleEndian(buffer.AsSpan(at), name.Length);
        at += 4;
        name.CopyTo(buffer, at);
        at += name.Length;
        BinaryPrimitives.WriteUInt64LittleEndian(buffer.AsSpan(at), token.Serial);
        BinaryPrimitives.WriteInt64LittleEndian(buffer.AsSpan(at + 8), token.ExpiresUnixMs);
        return HMACSHA256.HashData(_key, buffer);
    }
}
