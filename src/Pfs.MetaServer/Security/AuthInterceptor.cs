using Grpc.Core;
using Grpc.Core.Interceptors;
using Pfs.Protocol.Meta;
using Pfs.Protocol.Security;

namespace Pfs.MetaServer.Security;

/// <summary>
/// Every MetaService call is authenticated and authorized (<see cref="CallAuthorizer"/>) before it runs;
/// other services (health, AuthService) pass untouched. The namespace stream (Pipe) authorizes each of
/// its requests itself, the same way.
/// </summary>
internal sealed class AuthInterceptor(CallAuthorizer authorizer) : Interceptor
{
    private static readonly string MetaPrefix = "/" + MetaService.Descriptor.FullName + "/";
    private static readonly string PipeMethod = MetaPrefix + "Pipe";
    private static readonly string CapabilityPrefix = "/" + CapabilityService.Descriptor.FullName + "/";

    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        if (Guarded(context.Method))
        {
            await authorizer.AuthorizeAsync(request, context).ConfigureAwait(false);
        }

        return await continuation(request, context).ConfigureAwait(false);
    }

    public override async Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation)
    {
        if (Guarded(context.Method))
        {
            await authorizer.AuthorizeAsync(request, context).ConfigureAwait(false);
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
        Guarded(context.Method) && !string.Equals(context.Method, PipeMethod, StringComparison.Ordinal)
            ? throw new RpcException(new Status(StatusCode.PermissionDenied, "streaming metadata calls are not authorized"))
            : continuation(requestStream, responseStream, context);

    private static bool Guarded(string method) =>
        method.StartsWith(MetaPrefix, StringComparison.Ordinal) || method.StartsWith(CapabilityPrefix, StringComparison.Ordinal);
}
