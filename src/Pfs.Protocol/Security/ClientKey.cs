using System.Security.Cryptography;

namespace Pfs.Protocol.Security;

/// <summary>
/// A client identity's private key, in the one form it is shown and kept: <c>pfs1.NAME.KEY</c>, where
/// KEY is the base64url SEC 1 encoding of an ECDSA P-256 private key. Only its holder has it; the
/// metadata store keeps the public half.
/// </summary>
public sealed class ClientKey : IDisposable
{
    private const string Prefix = "pfs1.";
    private readonly ECDsa _key;

    private ClientKey(string identity, ECDsa key)
    {
        Identity = identity;
        _key = key;
    }

    /// <summary>The identity's name.</summary>
    public string Identity { get; }

    /// <summary>The public key, SubjectPublicKeyInfo DER: what the store keeps.</summary>
    public byte[] PublicKey => _key.ExportSubjectPublicKeyInfo();

    /// <summary>A new key for <paramref name="identity"/>.</summary>
    public static ClientKey Create(string identity)
    {
        if (IdentityProof.CheckName(identity) is { } error)
        {
            throw new ArgumentException(error, nameof(identity));
        }

        return new ClientKey(identity, ECDsa.Create(ECCurve.NamedCurves.nistP256));
    }

    /// <summary>Reads a key in its text form; false (and why) if it is not one.</summary>
    public static bool TryParse(string? text, out ClientKey? key, out string error)
    {
        key = null;
        var trimmed = text?.Trim() ?? string.Empty;
        var dot = trimmed.IndexOf('.', Prefix.Length);
        if (!trimmed.StartsWith(Prefix, StringComparison.Ordinal) || dot < 0)
        {
            error = "a Pfs key looks like pfs1.NAME.KEY";
            return false;
        }

        var name = trimmed[Prefix.Length..dot];
        if (IdentityProof.CheckName(name) is { } nameError)
        {
            error = nameError;
            return false;
        }

        var ecdsa = ECDsa.Create();
        try
        {
            ecdsa.ImportECPrivateKey(FromBase64Url(trimmed[(dot + 1)..]), out _);
            if (ecdsa.KeySize != 256)
            {
                throw new CryptographicException("not a P-256 key");
            }
        }
        catch (Exception ex) when (ex is CryptographicException or FormatException)
        {
            ecdsa.Dispose();
            error = "the key part is not a P-256 private key";
            return false;
        }

        key = new ClientKey(name, ecdsa);
        error = string.Empty;
        return true;
    }

    /// <summary>The text form: shown once when the identity is made, then kept by its holder.</summary>
    public override string ToString() => Prefix + Identity + "." + ToBase64Url(_key.ExportECPrivateKey());

    /// <summary>A statement that proves this key at <paramref name="unixMs"/>, for <see cref="Protocol.Security.AuthenticateRequest"/>.</summary>
    public AuthenticateRequest Prove(long unixMs)
    {
        var nonce = RandomNumberGenerator.GetBytes(IdentityProof.NonceBytes);
        var signature = _key.SignData(IdentityProof.Payload(Identity, unixMs, nonce), HashAlgorithmName.SHA256);
        return new AuthenticateRequest
        {
            Identity = Identity,
            UnixMs = unixMs,
            Nonce = Google.Protobuf.ByteString.CopyFrom(nonce),
            Signature = Google.Protobuf.ByteString.CopyFrom(signature),
        };
    }

    public void Dispose() => _key.Dispose();

    private static string ToBase64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static byte[] FromBase64Url(string text)
    {
        var standard = text.Replace('-', '+').Replace('_', '/');
        return Convert.FromBase64String(standard + new string('=', (4 - (standard.Length % 4)) % 4));
    }
}
