using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Pfs.Protocol.Transport;

/// <summary>
/// A private CA and one server certificate it signed, for 127.0.0.1, ::1, localhost and any other
/// names given, as PEM files in a directory: what a development cluster, a benchmark or a test
/// runs TLS with. Not for production, where certificates come from the operator's own CA.
/// </summary>
public sealed record DevelopmentCertificates(string CaFile, string CertificateFile, string KeyFile)
{
    /// <summary>Makes the files in <paramref name="directory"/> (created if missing; the key readable by its owner only).</summary>
    public static DevelopmentCertificates Create(string directory, TimeSpan lifetime, params string[] hostNames)
    {
        ArgumentNullException.ThrowIfNull(hostNames);
        Directory.CreateDirectory(directory);
        var notBefore = DateTimeOffset.UtcNow.AddMinutes(-5);
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=Pfs development CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        using var ca = caRequest.CreateSelfSigned(notBefore, notBefore + lifetime);

        using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var serverRequest = new CertificateRequest("CN=pfs-server", serverKey, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddIpAddress(IPAddress.IPv6Loopback);
        names.AddDnsName("localhost");
        foreach (var name in hostNames)
        {
            if (IPAddress.TryParse(name, out var address))
            {
                names.AddIpAddress(address);
            }
            else
            {
                names.AddDnsName(name);
            }
        }

        serverRequest.CertificateExtensions.Add(names.Build());
        serverRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, false));
        serverRequest.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var server = serverRequest.Create(ca, notBefore, notBefore + lifetime, RandomNumberGenerator.GetBytes(16));

        var certificates = new DevelopmentCertificates(
            Path.Combine(directory, "ca.pem"), Path.Combine(directory, "server.pem"), Path.Combine(directory, "server.key"));
        File.WriteAllText(certificates.CaFile, ca.ExportCertificatePem());
        File.WriteAllText(certificates.CertificateFile, server.ExportCertificatePem());
        var create = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            create.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var key = new StreamWriter(certificates.KeyFile, create))
        {
            key.Write(serverKey.ExportPkcs8PrivateKeyPem());
        }

        return certificates;
    }

    /// <summary>The settings (configuration keys) a server needs to serve TLS with these files and check its peers.</summary>
    public IEnumerable<KeyValuePair<string, string?>> ServerSettings =>
    [
        new("Pfs:TlsCertificate", CertificateFile),
        new("Pfs:TlsKey", KeyFile),
        new("Pfs:TlsCa", CaFile),
    ];
}
