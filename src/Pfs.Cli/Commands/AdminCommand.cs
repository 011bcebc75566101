using System.CommandLine;
using System.Globalization;
using Google.Protobuf;
using Grpc.Core;
using Pfs.Cli.Output;
using Pfs.Protocol;
using Pfs.Protocol.Security;
using Pfs.Protocol.Transport;

namespace Pfs.Cli.Commands;

/// <summary>
/// <c>pfs admin add NAME --scope /prefix [--read-only] | list | revoke NAME</c>: client identities,
/// for the holder of the cluster key (each call is signed with it; see docs/SECURITY.md). A new
/// identity's key is made here and printed once; only its public half goes to the server.
/// </summary>
internal static class AdminCommand
{
    public const string ClusterKeyVariable = "PFS_CLUSTER_KEY_FILE";

    public static Command Create(CliHost host)
    {
        var clusterKey = new Option<string?>("--cluster-key-file")
        {
            Description = $"The cluster key the servers share (default: ${ClusterKeyVariable}, else ~/.pfs/cluster.key)",
            HelpName = "FILE",
            Recursive = true,
        };
        var admin = new Command("admin", "Manage client identities (needs the cluster key)") { clusterKey };

        var name = new Argument<string>("NAME") { Description = "The identity's name: letters, digits, '-' and '_'" };
        var scope = new Option<string>("--scope") { Description = "The path prefix it may use (default: /, everything)", HelpName = "PATH", DefaultValueFactory = _ => "/" };
        var readOnly = new Option<bool>("--read-only") { Description = "It may read but change nothing" };
        var add = new Command("add", "Create an identity and print its key, once") { name, scope, readOnly };
        add.SetAction((parse, cancellationToken) => RunAsync(host, parse, clusterKey, async (service, proof) =>
        {
            var identity = parse.GetValue(name)!;
            if (IdentityProof.CheckName(identity) is { } badName)
            {
                throw new UsageException($"identity name '{identity}': {badName}");
            }

            using var key = ClientKey.Create(identity);
            var request = new AddIdentityRequest
            {
                Identity = new Identity { Name = key.Identity, Scope = parse.GetValue(scope)!, ReadOnly = parse.GetValue(readOnly), PublicKey = ByteString.CopyFrom(key.PublicKey) },
            };
            var reply = await service.AddIdentityAsync(request, proof(request, "AddIdentity"), cancellationToken: cancellationToken).ConfigureAwait(false);
            host.Console.Out.WriteLine(key.ToString());
            host.Console.Error.WriteLine($"pfs: identity '{reply.Identity.Name}' added (scope {reply.Identity.Scope}{(reply.Identity.ReadOnly ? ", read-only" : string.Empty)}); " +
                "the key above is shown only this once: keep it in ~/.pfs/client.key (chmod 600) or PFS_KEY");
        }, cancellationToken));

        var list = new Command("list", "List identities: name, scope, mode, created");
        list.SetAction((parse, cancellationToken) => RunAsync(host, parse, clusterKey, async (service, proof) =>
        {
            var request = new ListIdentitiesRequest();
            var reply = await service.ListIdentitiesAsync(request, proof(request, "ListIdentities"), cancellationToken: cancellationToken).ConfigureAwait(false);
            var table = new CliTable("NAME", "SCOPE", "MODE", "CREATED");
            foreach (var identity in reply.Identities)
            {
                table.AddRow(identity.Name, identity.Scope, identity.ReadOnly ? "read-only" : "read-write",
                    DateTimeOffset.FromUnixTimeMilliseconds(identity.CreatedUnixMs).ToString("u", CultureInfo.InvariantCulture));
            }

            table.Write(host.Console);
        }, cancellationToken));

        var revokeName = new Argument<string>("NAME") { Description = "The identity to revoke" };
        var revoke = new Command("revoke", "Revoke an identity: its key stops working at once") { revokeName };
        revoke.SetAction((parse, cancellationToken) => RunAsync(host, parse, clusterKey, async (service, proof) =>
        {
            var request = new RevokeIdentityRequest { Name = parse.GetValue(revokeName)! };
            var reply = await service.RevokeIdentityAsync(request, proof(request, "RevokeIdentity"), cancellationToken: cancellationToken).ConfigureAwait(false);
            if (!reply.Revoked)
            {
                // A well-formed command about a name the cluster does not have: a failure (1), not a usage error (2).
                throw new IOException($"there is no identity '{request.Name}'");
            }

            host.Console.Out.WriteLine($"revoked {request.Name}");
        }, cancellationToken));

        admin.Subcommands.Add(add);
        admin.Subcommands.Add(list);
        admin.Subcommands.Add(revoke);
        return admin;
    }

    private static async Task<int> RunAsync(CliHost host, ParseResult parse, Option<string?> clusterKeyOption,
        Func<AuthService.AuthServiceClient, Func<IMessage, string, Metadata>, Task> body, CancellationToken cancellationToken)
    {
        try
        {
            var adminKey = new CapabilitySigner(ReadClusterKey(host, parse.GetValue(clusterKeyOption))).DeriveKey(IdentityProof.AdminPurpose);
            using var channel = PfsChannel.Create(host.MetaServer(parse), new PfsChannelOptions
            {
                ConnectTimeout = TimeSpan.FromSeconds(parse.GetValue(host.Timeout)),
                TlsCaFile = host.TlsCaFile(parse),
            });
            var service = new AuthService.AuthServiceClient(channel);
            Metadata Proof(IMessage request, string method) => new()
            {
                {
                    IdentityProof.AdminHeader,
                    IdentityProof.ProveAdmin(adminKey, $"/{AuthService.Descriptor.FullName}/{method}", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), request.ToByteArray()).ToByteArray()
                },
            };
            await body(service, Proof).ConfigureAwait(false);
            return ExitCodes.Ok;
        }
        catch (UsageException ex)
        {
            host.Console.Fail(ex.Message);
            return ExitCodes.Usage;
        }
        catch (RpcException ex)
        {
            host.Console.Fail(ex.StatusCode == StatusCode.PermissionDenied && ex.Status.Detail.Contains("cluster key", StringComparison.Ordinal)
                ? "the cluster key given is not this cluster's (--cluster-key-file, or $" + ClusterKeyVariable + ")"
                : TlsMismatch.Describe(ex) is { } mismatch ? $"metadata server {host.MetaServer(parse)} {mismatch}"
                : string.IsNullOrEmpty(ex.Status.Detail) ? ex.StatusCode.ToString() : ex.Status.Detail);
            return ExitCodes.Error;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or ArgumentException)
        {
            host.Console.Fail(ex.Message);
            return ExitCodes.Error;
        }
    }

    private static byte[] ReadClusterKey(CliHost host, string? flag)
    {
        var path = flag is { Length: > 0 } ? flag
            : host.Variables(ClusterKeyVariable) is { Length: > 0 } variable ? variable
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".pfs", "cluster.key");
        if (!File.Exists(path))
        {
            throw new UsageException($"cluster key file '{Path.GetFullPath(path)}' does not exist (--cluster-key-file, or ${ClusterKeyVariable})");
        }

        return CapabilitySigner.ParseKey(File.ReadAllText(path));
    }
}
