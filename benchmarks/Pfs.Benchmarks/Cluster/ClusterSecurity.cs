using Google.Protobuf;
using Grpc.Core;
using Pfs.Protocol;
using Pfs.Protocol.Security;
using Pfs.Protocol.Transport;

namespace Pfs.Benchmarks.Cluster;

/// <summary>
/// A cluster run secure: TLS on every hop (a development CA made for the run) and authentication
/// required, with one read-write identity for every client of the benchmark.
/// </summary>
internal sealed class ClusterSecurity
{
    public DevelopmentCertificates? Certificates { get; private set; }

    /// <summary>The servers' settings as environment variables; makes the certificates under <paramref name="root"/>.</summary>
    public Dictionary<string, string> Environment(string root)
    {
        Certificates = DevelopmentCertificates.Create(Path.Combine(root, "tls"), TimeSpan.FromDays(1));
        var environment = Certificates.ServerSettings.ToDictionary(s => s.Key.Replace(":", "__", StringComparison.Ordinal), s => s.Value!);
        environment["Pfs__Authentication"] = "Required";
        return environment;
    }

    /// <summary>Adds the benchmark's identity (as <c>pfs admin add</c> does) and returns its key.</summary>
    public async Task<string> AddIdentityAsync(Uri meta, string clusterKeyFile, CancellationToken cancellationToken)
    {
        var adminKey = new CapabilitySigner(CapabilitySigner.ParseKey(await File.ReadAllTextAsync(clusterKeyFile, cancellationToken))).DeriveKey(IdentityProof.AdminPurpose);
        using var key = ClientKey.Create("bench");
        var request = new AddIdentityRequest { Identity = new Identity { Name = key.Identity, Scope = "/", PublicKey = ByteString.CopyFrom(key.PublicKey) } };
        var proof = IdentityProof.ProveAdmin(adminKey, $"/{AuthService.Descriptor.FullName}/AddIdentity", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), request.ToByteArray());
        using var channel = PfsChannel.Create(meta, new PfsChannelOptions { TlsCaFile = Certificates?.CaFile });
        await new AuthService.AuthServiceClient(channel).AddIdentityAsync(request, new Metadata { { IdentityProof.AdminHeader, proof.ToByteArray() } },
            cancellationToken: cancellationToken);
        return key.ToString();
    }
}
