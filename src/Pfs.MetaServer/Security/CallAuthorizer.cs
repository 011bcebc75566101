using Grpc.Core;

namespace Pfs.MetaServer.Security;

/// <summary>
/// Authentication (<see cref="AuthGate"/>) and authorization (<see cref="ScopeGuard"/>) of one metadata
/// request: what <see cref="AuthInterceptor"/> does before every unary call, and the namespace stream
/// before each of its requests.
/// </summary>
internal sealed class CallAuthorizer(AuthGate gate, ScopeGuard guard, AuthFailures failures)
{
    /// <summary>Finds the caller from <paramref name="context"/>'s headers (for a stream, before its first request); throws if there is none.</summary>
    public ValueTask<Caller> AuthenticateAsync(ServerCallContext context) => gate.AuthenticateAsync(context);

    /// <summary>
    /// Finds the caller from <paramref name="context"/>'s headers, remembers it there (unless <paramref name="attach"/> is false:
    /// the stream's requests run at once, and the context's items are no concurrent map), and throws unless it may make <paramref name="request"/>.
    /// </summary>
    public async ValueTask AuthorizeAsync(object request, ServerCallContext context, bool attach = true)
    {
        var caller = await gate.AuthenticateAsync(context).ConfigureAwait(false);
        if (attach)
        {
            caller.AttachTo(context);
        }

        try
        {
            guard.Authorize(caller, request);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.PermissionDenied)
        {
            // Logged, not slowed down: the caller proved its key, and a mount probes paths as it goes.
            failures.Denied(context, caller.Name, ex.Status.Detail);
            throw;
        }
    }
}
