using System.Security.Cryptography.X509Certificates;

namespace Pfs.Protocol.Transport;

/// <summary>Certificates from PEM files, for servers (their own) and for every side that checks a peer (the CA).</summary>
public static class TlsFiles
{
    /// <summary>A chain policy that trusts the CA certificate(s) in <paramref name="caFile"/> and nothing else.</summary>
    /// <exception cref="IOException">The file does not exist, cannot be read, or holds no PEM certificate (a message for people).</exception>
    public static X509ChainPolicy TrustOnly(string caFile)
    {
        if (!File.Exists(caFile))
        {
            throw new FileNotFoundException($"the TLS CA file '{Path.GetFullPath(caFile)}' does not exist", caFile);
        }

        var authorities = new X509Certificate2Collection();
        authorities.ImportFromPemFile(caFile);
        if (authorities.Count == 0)
        {
            throw new InvalidDataException($"the TLS CA file '{Path.GetFullPath(caFile)}' holds no PEM certificate");
        }

        var policy = new X509ChainPolicy
        {
            TrustMode = X509ChainTrustMode.CustomRootTrust,
            // A private CA publishes no revocation lists; its certificates are short-lived instead.
            RevocationMode = X509RevocationMode.NoCheck,
        };
        policy.CustomTrustStore.AddRange(authorities);
        return policy;
    }

    /// <summary>A server certificate with its private key, from PEM files.</summary>
    public static X509Certificate2 ServerCertificate(string certificateFile, string keyFile) =>
        X509Certificate2.CreateFromPemFile(certificateFile, keyFile);
}
