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

    /// <summary>How long before its end a certificate's coming expiry is warned of.</summary>
    public static readonly TimeSpan ExpiryWarning = TimeSpan.FromDays(14);

    /// <summary>
    /// One line on <paramref name="certificate"/>'s validity at <paramref name="now"/> if a server's operator
    /// should hear of it (expired, not valid yet, or ending within <see cref="ExpiryWarning"/>), with whether it
    /// stops clients already; null if it is fine.
    /// </summary>
    public static (string Line, bool Refused)? Validity(X509Certificate2 certificate, string certificateFile, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        var from = new DateTimeOffset(certificate.NotBefore.ToUniversalTime(), TimeSpan.Zero);
        var until = new DateTimeOffset(certificate.NotAfter.ToUniversalTime(), TimeSpan.Zero);
        var which = $"This server's TLS certificate ({certificateFile}, {certificate.Subject})";
        if (now > until)
        {
            return ($"{which} expired on {until:yyyy-MM-dd HH:mm} UTC: every client will refuse to connect; replace --tls-cert and --tls-key", true);
        }

        if (now < from)
        {
            return ($"{which} is not valid until {from:yyyy-MM-dd HH:mm} UTC: clients will refuse to connect until then (check this machine's clock)", true);
        }

        var left = until - now;
        return left < ExpiryWarning
            ? ($"{which} expires on {until:yyyy-MM-dd HH:mm} UTC, in {Math.Max(0, (int)left.TotalDays)} day(s) and {left.Hours} hour(s); clients will refuse it from then on: renew it and restart the server", false)
            : null;
    }

    /// <summary>A server certificate with its private key, from PEM files.</summary>
    public static X509Certificate2 ServerCertificate(string certificateFile, string keyFile) =>
        X509Certificate2.CreateFromPemFile(certificateFile, keyFile);
}
