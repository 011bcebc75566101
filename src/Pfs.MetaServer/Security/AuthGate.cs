using Grpc.Core;
using Pfs.Protocol.Security;
using Pfs.ServiceDefaults.Security;

namespace Pfs.MetaServer.Security;

/// <summary>
/// Who a metadata call comes from. Without a token the caller is anonymous, which is allowed only
/// while authentication is <see cref="PfsAuthentication.Auto"/> and no identity exists; a token must
/// be one this cluster signed, unexpired, of an identity that still exists with the same serial.
/// </summary>
internal sealed class AuthGate(IdentityTable table, SessionTokens tokens, AuthFailures failures, PfsSecurityOptions options)
{
    public const string NoKey = "this cluster requires a client key: see `pfs admin add`, then pass it with --key, PFS_KEY or ~/.pfs/client.key";

    public async ValueTask<Caller> AuthenticateAsync(ServerCallContext context)
    {
        var identities = await table.GetAsync(context.CancellationToken).ConfigureAwait(false);
        var header = context.RequestHeaders.Get(IdentityProof.TokenHeader);
        if (header is null)
        {
            return options.Authentication == PfsAuthentication.Auto && identities.Count == 0
                ? Caller.Anonymous
                : throw await failures.FailAsync(context, null, NoKey).ConfigureAwait(false);
        }

        var token = header.IsBinary ? tokens.Verify(header.ValueBytes) : null;
        if (token is null)
        {
            throw await failures.FailAsync(context, null, "the session token is not valid or has expired").ConfigureAwait(false);
        }

        if (!identities.TryGetValue(token.Identity, out var identity) || identity.Serial != token.Serial)
        {
            throw await failures.FailAsync(context, token.Identity, $"identity '{token.Identity}' has been revoked").ConfigureAwait(false);
        }

        return Caller.Of(identity);
    }
}
