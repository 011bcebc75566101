using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Pfs.Protocol.Security;

/// <summary>The rules both sides share for proving a client key and naming an identity.</summary>
public static class IdentityProof
{
    public const int NonceBytes = 16;

    /// <summary>Longest identity name.</summary>
    public const int MaxNameLength = 64;

    /// <summary>How far a statement's time may be from the server's clock, either way.</summary>
    public static readonly TimeSpan MaxSkew = TimeSpan.FromMinutes(1);

    private static readonly byte[] Domain = "pfs-authenticate-v1\0"u8.ToArray();

    /// <summary>What a client signs: the domain, its identity, the time and a nonce, in a fixed encoding.</summary>
    public static byte[] Payload(string identity, long unixMs, ReadOnlySpan<byte> nonce)
    {
        var name = Encoding.UTF8.GetBytes(identity);
        var payload = new byte[Domain.Length + 4 + name.Length + 8 + nonce.Length];
        var at = 0;
        Domain.CopyTo(payload, at);
        at += Domain.Length;
        BinaryPrimitives.WriteInt32LittleEndian(payload.AsSpan(at), name.Length);
        at += 4;
        name.CopyTo(payload, at);
        at += name.Length;
        BinaryPrimitives.WriteInt64LittleEndian(payload.AsSpan(at), unixMs);
        at += 8;
        nonce.CopyTo(payload.AsSpan(at));
        return payload;
    }

    /// <summary>True if <paramref name="request"/> is signed by the key whose public half is <paramref name="publicKey"/>.</summary>
    public static bool Verify(AuthenticateRequest request, ReadOnlySpan<byte> publicKey)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Nonce.Length != NonceBytes || request.Signature.Length != 64)
        {
            return false;
        }

        using var key = ECDsa.Create();
        try
        {
            key.ImportSubjectPublicKeyInfo(publicKey, out _);
            return key.VerifyData(Payload(request.Identity, request.UnixMs, request.Nonce.Span), request.Signature.Span, HashAlgorithmName.SHA256);
        }
        catch (CryptographicException)
        {
            return false;
        }
    }

    /// <summary>Why <paramref name="name"/> is not an identity name, or null.</summary>
    public static string? CheckName(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > MaxNameLength)
        {
            return $"an identity name has 1 to {MaxNameLength} characters";
        }

        foreach (var c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            {
                return $"identity name '{name}' may hold only letters, digits, '-' and '_'";
            }
        }

        return null;
    }

    /// <summary>The MAC of an admin call: the method, the proof's time and nonce, and the request's bytes.</summary>
    public static byte[] AdminMac(ReadOnlySpan<byte> adminKey, string method, long unixMs, ReadOnlySpan<byte> nonce, ReadOnlySpan<byte> request)
    {
        var methodBytes = Encoding.UTF8.GetBytes(method);
        var buffer = new byte[4 + methodBytes.Length + 8 + nonce.Length + request.Length];
        BinaryPrimitives.WriteInt32LittleEndian(buffer, methodBytes.Length);
        methodBytes.CopyTo(buffer, 4);
        BinaryPrimitives.WriteInt64LittleEndian(buffer.AsSpan(4 + methodBytes.Length), unixMs);
        nonce.CopyTo(buffer.AsSpan(12 + methodBytes.Length));
        request.CopyTo(buffer.AsSpan(12 + methodBytes.Length + nonce.Length));
        return HMACSHA256.HashData(adminKey, buffer);
    }

    /// <summary>An admin proof for one call, made with the key <see cref="CapabilitySigner.DeriveKey"/> gives for <see cref="AdminPurpose"/>.</summary>
    public static AdminProof ProveAdmin(ReadOnlySpan<byte> adminKey, string method, long unixMs, ReadOnlySpan<byte> request)
    {
        var nonce = RandomNumberGenerator.GetBytes(NonceBytes);
        return new AdminProof
        {
            UnixMs = unixMs,
            Nonce = Google.Protobuf.ByteString.CopyFrom(nonce),
            Mac = Google.Protobuf.ByteString.CopyFrom(AdminMac(adminKey, method, unixMs, nonce, request)),
        };
    }

    /// <summary>The purpose the admin key is derived for from the cluster key.</summary>
    public const string AdminPurpose = "admin";

    /// <summary>The header an admin call carries its <see cref="AdminProof"/> in.</summary>
    public const string AdminHeader = "pfs-admin-bin";

    /// <summary>The header every metadata call carries its session token in.</summary>
    public const string TokenHeader = "pfs-auth-bin";
}
