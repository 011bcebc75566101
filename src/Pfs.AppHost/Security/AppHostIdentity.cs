using Google.Protobuf;
using Grpc.Core;
using Pfs.Protocol;
using Pfs.Protocol.Security;
using Pfs.Protocol.Transport;

namespace Pfs.AppHost.Security;

/// <summary>
/// The client identity the secure AppHost's own clients (the demo, the repair worker) run as: its key
/// (<see cref="DevelopmentSecrets.ClientKeyFile"/>, handed to them as the secret parameter
/// <c>client-key</c>) and its registration with the metadata server, done as an administrator's
/// <c>pfs admin add</c> would: the calls are signed with the admin key derived from the cluster key,
/// and only the key's public half goes to the server.
/// </summary>
internal sealed class AppHostIdentity(IDistributedApplicationBuilder builder, DevelopmentSecrets secrets, IResourceBuilder<ParameterResource> clusterKey)
{
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(15);
    private readonly Lock _gate = new();

    // The demo and the repair worker start together: their registrations run one after the other.
    private Task _last = Task.CompletedTask;

    public DevelopmentSecrets Secrets => secrets;

    /// <summary>The key (<c>pfs1.apphost.KEY</c>), secret, so the dashboard masks it.</summary>
    public IResourceBuilder<ParameterResource> Key { get; } = builder.AddParameter("client-key", () => secrets.ClientKey, secret: true);

    /// <summary>
    /// Registers the identity at <paramref name="metaServer"/> unless it is there with this key already;
    /// one there with another key (the key file was made anew) is replaced. Run before each start of a
    /// client resource, so a fresh metadata store gets it too.
    /// </summary>
    public Task EnsureRegisteredAsync(Uri metaServer, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _last = AfterAsync(_last, metaServer, cancellationToken);
            return _last;
        }
    }

    private async Task AfterAsync(Task previous, Uri metaServer, CancellationToken cancellationToken)
    {
        // An earlier start's failure was reported to that start.
        await previous.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await RegisterAsync(metaServer, cancellationToken);
    }

    private async Task RegisterAsync(Uri metaServer, CancellationToken cancellationToken)
    {
        var clusterKeyText = await clusterKey.Resource.GetValueAsync(cancellationToken)
            ?? throw new InvalidOperationException("the cluster-key parameter has no value");
        if (!ClientKey.TryParse(secrets.ClientKey, out var parsed, out var error))
        {
            throw new InvalidOperationException($"{secrets.ClientKeyFile}: {error}");
        }

        using var key = parsed!;
        var adminKey = new CapabilitySigner(CapabilitySigner.ParseKey(clusterKeyText)).DeriveKey(IdentityProof.AdminPurpose);
        using var channel = PfsChannel.Create(metaServer, new PfsChannelOptions { TlsCaFile = secrets.Certificates.CaFile });
        var service = new AuthService.AuthServiceClient(channel);

        var list = new ListIdentitiesRequest();
        var known = (await service.ListIdentitiesAsync(list, Proof(adminKey, list, "ListIdentities"), Deadline, cancellationToken: cancellationToken))
            .Identities.FirstOrDefault(i => i.Name == key.Identity);
        if (known is not null && known.PublicKey.Span.SequenceEqual(key.PublicKey) && known.Scope == "/" && !known.ReadOnly)
        {
            return;
        }

        if (known is not null)
        {
            var revoke = new RevokeIdentityRequest { Name = key.Identity };
            await service.RevokeIdentityAsync(revoke, Proof(adminKey, revoke, "RevokeIdentity"), Deadline, cancellationToken: cancellationToken);
        }

        var add = new AddIdentityRequest
        {
            Identity = new Identity { Name = key.Identity, Scope = "/", ReadOnly = false, PublicKey = ByteString.CopyFrom(key.PublicKey) },
        };
        await service.AddIdentityAsync(add, Proof(adminKey, add, "AddIdentity"), Deadline, cancellationToken: cancellationToken);
    }

    private static DateTime Deadline => DateTime.UtcNow + CallTimeout;

    private static Metadata Proof(byte[] adminKey, IMessage request, string method) => new()
    {
        {
            IdentityProof.AdminHeader,
            IdentityProof.ProveAdmin(adminKey, $"/{AuthService.Descriptor.FullName}/{method}", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), request.ToByteArray()).ToByteArray()
        },
    };
}
