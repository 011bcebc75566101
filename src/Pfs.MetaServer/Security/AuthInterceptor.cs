using Grpc.Core;
using Grpc.Core.Interceptors;
using Pfs.Protocol.Meta;
using Pfs.Protocol.Security;

namespace Pfs.MetaServer.Security;

/// <summary>
/// Every MetaService call is authenticated (<see cref="AuthGate"/>) and authorized
/// (<see cref="ScopeGuard"/>) before it runs; other services (health, AuthService) pass untouched.
/// </summary>
internal sealed class AuthInterceptor(AuthGate gate, ScopeGuard guard, AuthFailures failures) : Interceptor
{
    private static readonly string MetaPrefix = "/" + MetaService.Descriptor.FullName + "/";
    private static readonly string CapabilityPrefix = "/" + CapabilityService.Descriptor.FullName + "/";

    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        if (Guarded(context.Method))
        {
            await AuthorizeAsync(request, context).ConfigureAwait(false);
        }

        return await continuation(request, context).ConfigureAwait(false);
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        if (Guarded(context.Method))
        {
            await AuthorizeAsync(request, context).ConfigureAwait(false);
        }

        await continuation(request, responseStream, context).ConfigureAwait(false);
    }

    public override Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation) =>
        Guarded(context.Method)
            ? throw new RpcException(new Status(StatusCode.PermissionDenied, "streaming metadata calls are not authorized"))
            : continuation(requestStream, context);

    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation) =>
        Guarded(context.Method)
            ? throw new RpcException(new Status(StatusCode.PermissionDenied, "streaming metadata calls are not authorized"))
            : continuation(requestStream, responseStream, context);

    private static bool Guarded(string method) =>
        method.StartsWith(MetaPrefix, StringComparison.Ordinal) || method.StartsWith(CapabilityPrefix, StringComparison.Ordinal);

    private async ValueTask AuthorizeAsync(object request, ServerCallContext context)
    {
        var caller = await gate.AuthenticateAsync(context).ConfigureAwait(false);
        caller.AttachTo(context);
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
