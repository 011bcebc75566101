using System.Security.Cryptography.X509Certificates;
using Pfs.Protocol.Transport;

namespace Pfs.AppHost.Security;

/// <summary>
/// What the secure AppHost runs with, made at its first run and kept under its data root in
/// <c>secrets/</c> (a directory only its owner may enter; the private keys readable by their owner
/// only): a development CA (<c>ca.pem</c>) and the server certificate it signed for localhost and
/// 127.0.0.1 (<c>server.pem</c>, <c>server.key</c>), which every server presents; and the key of the
/// client identity the AppHost's own clients (the demo, the repair worker) run as (<c>client.key</c>).
/// Kept as files beside the metadata store rather than in user secrets: the servers read their TLS
/// settings as file paths, and the identity exists only in that store, so its key must live and go
/// with it (a fresh data root, as each test run has, gets a fresh identity, not a key the store never saw).
/// </summary>
internal sealed record DevelopmentSecrets(string Directory, DevelopmentCertificates Certificates, string ClientKeyFile)
{
    /// <summary>The identity the AppHost's clients run as: read-write on the whole tree (the repair worker rewrites any file).</summary>
    public const string ClientIdentity = "apphost";

    /// <summary>How long the generated certificates last; they are made again once less than <see cref="Renewal"/> is left.</summary>
    private static readonly TimeSpan Lifetime = TimeSpan.FromDays(2 * 365);

    private static readonly TimeSpan Renewal = TimeSpan.FromDays(30);

    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;

    /// <summary>The client key's text (<c>pfs1.apphost.KEY</c>).</summary>
    public string ClientKey => File.ReadAllText(ClientKeyFile).Trim();

    /// <summary>The secrets under <paramref name="dataRoot"/>, made (or renewed) if missing, unreadable or about to expire.</summary>
    public static DevelopmentSecrets LoadOrCreate(string dataRoot)
    {
        var directory = Path.Combine(dataRoot, "secrets");
        if (OperatingSystem.IsWindows())
        {
            System.IO.Directory.CreateDirectory(directory);
        }
        else
        {
            System.IO.Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        var certificates = new DevelopmentCertificates(
            Path.Combine(directory, "ca.pem"), Path.Combine(directory, "server.pem"), Path.Combine(directory, "server.key"));
        if (!StillGood(certificates))
        {
            certificates = DevelopmentCertificates.Create(directory, Lifetime);
        }

        var clientKeyFile = Path.Combine(directory, "client.key");
        if (!ClientKeyIsGood(clientKeyFile))
        {
            using var key = Protocol.Security.ClientKey.Create(ClientIdentity);
            var create = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
            if (!OperatingSystem.IsWindows())
            {
                File.Delete(clientKeyFile);
                create.UnixCreateMode = OwnerOnly;
            }

            using var writer = new StreamWriter(clientKeyFile, create);
            writer.WriteLine(key.ToString());
        }

        return new DevelopmentSecrets(directory, certificates, clientKeyFile);
    }

    /// <summary>The three PEM files are there, parse, chain, and have more than <see cref="Renewal"/> left.</summary>
    private static bool StillGood(DevelopmentCertificates certificates)
    {
        if (!File.Exists(certificates.CaFile) || !File.Exists(certificates.CertificateFile) || !File.Exists(certificates.KeyFile))
        {
            return false;
        }

        try
        {
            using var server = TlsFiles.ServerCertificate(certificates.CertificateFile, certificates.KeyFile);
            using var chain = new X509Chain { ChainPolicy = TlsFiles.TrustOnly(certificates.CaFile) };
            chain.ChainPolicy.VerificationTime = DateTime.Now + Renewal;
            return chain.Build(server);
        }
        catch (Exception ex) when (ex is System.Security.Cryptography.CryptographicException or ArgumentException or IOException)
        {
            return false;
        }
    }

    /// <summary>A key file of the AppHost's identity that only its owner may read.</summary>
    private static bool ClientKeyIsGood(string path)
    {
        if (!File.Exists(path)
            || (!OperatingSystem.IsWindows() && (File.GetUnixFileMode(path) & ~OwnerOnly & ~UnixFileMode.UserExecute) != 0))
        {
            return false;
        }

        if (!Protocol.Security.ClientKey.TryParse(File.ReadAllText(path), out var key, out _))
        {
            return false;
        }

        using (key)
        {
            return key!.Identity == ClientIdentity;
        }
    }
}
