using System.Security.Cryptography;
using Google.Protobuf;
using Grpc.Core;
using Pfs.MetaServer.Sessions;
using Pfs.Protocol;
using Pfs.Protocol.Security;

namespace Pfs.MetaServer.Security;

/// <summary>
/// AuthService: session tokens for clients that prove their key, and identity administration for
/// the holder of the cluster key. See security.proto.
/// </summary>
internal sealed partial class AuthGrpcService(
    IdentityTable table, SessionTokens tokens, AuthFailures failures, CapabilitySigner signer, SessionManager sessions, TimeProvider time,
    ILogger<AuthGrpcService> logger)
    : AuthService.AuthServiceBase
{
    // Nonces are remembered for twice the allowed skew: a statement outside it is refused by its time.
    private readonly ExpiringKeySet<string> _nonces = new(100_000, 2 * IdentityProof.MaxSkew, time);
    private readonly Lock _nonceGate = new();
    private readonly byte[] _adminKey = signer.DeriveKey(IdentityProof.AdminPurpose);

    public override async Task<AuthenticateReply> Authenticate(AuthenticateRequest request, ServerCallContext context)
    {
        var identities = await table.GetAsync(context.CancellationToken).ConfigureAwait(false);
        if (!identities.TryGetValue(request.Identity, out var identity) || !IdentityProof.Verify(request, identity.PublicKey.Span))
        {
            // One answer for an unknown identity and a wrong key: which names exist is no one's business.
            throw await failures.FailAsync(context, request.Identity, "unknown identity or wrong key").ConfigureAwait(false);
        }

        if (Fresh(request.UnixMs, request.Nonce, "a") is { } stale)
        {
            throw await failures.FailAsync(context, request.Identity, stale).ConfigureAwait(false);
        }

        failures.Succeeded(context);
        var token = tokens.Issue(identity);
        return new AuthenticateReply { Token = token.ToByteString(), ExpiresUnixMs = token.ExpiresUnixMs, ReadOnly = identity.ReadOnly };
    }

    public override async Task<AddIdentityReply> AddIdentity(AddIdentityRequest request, ServerCallContext context)
    {
        await CheckAdminAsync(request, context).ConfigureAwait(false);
        var asked = request.Identity ?? throw Invalid("no identity given");
        var scope = ScopePath.Normalize(asked.Scope) ?? throw Invalid($"scope '{asked.Scope}' is not a path");
        if (IdentityProof.CheckName(asked.Name) is { } nameError)
        {
            throw Invalid(nameError);
        }

        try
        {
            using var key = ECDsa.Create();
            key.ImportSubjectPublicKeyInfo(asked.PublicKey.Span, out _);
            if (key.KeySize != 256)
            {
                throw Invalid("the public key must be a P-256 key");
            }
        }
        catch (CryptographicException)
        {
            throw Invalid("the public key is not a P-256 SubjectPublicKeyInfo");
        }

        var identity = new Identity
        {
            Name = asked.Name,
            Scope = "/" + scope,
            ReadOnly = asked.ReadOnly,
            PublicKey = asked.PublicKey,
            CreatedUnixMs = time.GetUtcNow().ToUnixTimeMilliseconds(),
            Serial = BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8)),
        };
        if (!await table.AddAsync(identity, context.CancellationToken).ConfigureAwait(false))
        {
            throw new RpcException(new Status(StatusCode.AlreadyExists, $"identity '{asked.Name}' exists"));
        }

        Added(logger, identity.Name, identity.Scope, identity.ReadOnly);
        return new AddIdentityReply { Identity = identity };
    }

    public override async Task<ListIdentitiesReply> ListIdentities(ListIdentitiesRequest request, ServerCallContext context)
    {
        await CheckAdminAsync(request, context).ConfigureAwait(false);
        var reply = new ListIdentitiesReply();
        reply.Identities.AddRange((await table.GetAsync(context.CancellationToken).ConfigureAwait(false)).Values.OrderBy(i => i.Name, StringComparer.Ordinal));
        return reply;
    }

    public override async Task<RevokeIdentityReply> RevokeIdentity(RevokeIdentityRequest request, ServerCallContext context)
    {
        await CheckAdminAsync(request, context).ConfigureAwait(false);
        var revoked = await table.RemoveAsync(request.Name, context.CancellationToken).ConfigureAwait(false);
        if (revoked)
        {
            // Its clients' notice streams end, so their leases run out and their opens and locks go: a revoked
            // client must not keep a file locked against everyone else.
            Revoked(logger, request.Name, sessions.EndSessionsOf(request.Name));
        }

        return new RevokeIdentityReply { Revoked = revoked };
    }

    private async Task CheckAdminAsync(IMessage request, ServerCallContext context)
    {
        var header = context.RequestHeaders.Get(IdentityProof.AdminHeader);
        AdminProof? proof = null;
        try
        {
            proof = header is { IsBinary: true } && header.ValueBytes.Length <= 1024 ? AdminProof.Parser.ParseFrom(header.ValueBytes) : null;
        }
        catch (InvalidProtocolBufferException)
        {
        }

        if (proof is null || proof.Nonce.Length != IdentityProof.NonceBytes || proof.Mac.Length != 32
            || !CryptographicOperations.FixedTimeEquals(
                IdentityProof.AdminMac(_adminKey, context.Method, proof.UnixMs, proof.Nonce.Span, request.ToByteArray()), proof.Mac.Span))
        {
            throw await failures.FailAsync(context, "(admin)", "administration needs the cluster key").ConfigureAwait(false);
        }

        if (Fresh(proof.UnixMs, proof.Nonce, "m") is { } stale)
        {
            throw await failures.FailAsync(context, "(admin)", stale).ConfigureAwait(false);
        }

        failures.Succeeded(context);
    }

    /// <summary>Null if a statement made at <paramref name="unixMs"/> with <paramref name="nonce"/> is new; else why not.</summary>
    private string? Fresh(long unixMs, ByteString nonce, string kind)
    {
        var skew = Math.Abs(time.GetUtcNow().ToUnixTimeMilliseconds() - (double)unixMs);
        if (skew > IdentityProof.MaxSkew.TotalMilliseconds)
        {
            return "the statement's time is more than a minute from the server's clock";
        }

        var key = kind + Convert.ToBase64String(nonce.Span);
        lock (_nonceGate)
        {
            if (_nonces.Contains(key))
            {
                return "the statement was used before (replayed)";
            }

            _nonces.Add(key);
        }

        return null;
    }

    private static RpcException Invalid(string message) => new(new Status(StatusCode.InvalidArgument, message));

    [LoggerMessage(EventId = 212, EventName = "IdentityAdded", Level = LogLevel.Information, Message = "Identity {Name} added: scope {Scope}, read-only {ReadOnly}")]
    private static partial void Added(ILogger logger, string name, string scope, bool readOnly);

    [LoggerMessage(EventId = 213, EventName = "IdentityRevoked", Level = LogLevel.Information, Message = "Identity {Name} revoked; {Sessions} session(s) of it ended")]
    private static partial void Revoked(ILogger logger, string name, int sessions);
}
