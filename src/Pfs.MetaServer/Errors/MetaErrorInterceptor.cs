using Grpc.Core;
using Grpc.Core.Interceptors;

namespace Pfs.MetaServer.Errors;

/// <summary>
/// The metadata server's one error boundary: domain code throws <see cref="MetaException"/>, and
/// this turns it into the status code callers get. A call that fails because its caller cancelled
/// it ends as Cancelled; anything else is left to gRPC (Unknown, details in the log).
/// </summary>
public sealed class MetaErrorInterceptor : Interceptor
{
    /// <summary>The trailer that names a namespace error sent as FAILED_PRECONDITION.</summary>
    public const string ErrorTrailer = "pfs-error";

    public override Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation) =>
        MapAsync(() => continuation(request, context), context);

    public override Task ServerStreamingServerHandler<TRequest, TResponse>(
        TRequest request, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, ServerStreamingServerMethod<TRequest, TResponse> continuation) =>
        MapAsync(async () =>
        {
            await continuation(request, responseStream, context).ConfigureAwait(false);
            return true;
        }, context);

    public override Task<TResponse> ClientStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, ServerCallContext context, ClientStreamingServerMethod<TRequest, TResponse> continuation) =>
        MapAsync(() => continuation(requestStream, context), context);

    public override Task DuplexStreamingServerHandler<TRequest, TResponse>(
        IAsyncStreamReader<TRequest> requestStream, IServerStreamWriter<TResponse> responseStream, ServerCallContext context, DuplexStreamingServerMethod<TRequest, TResponse> continuation) =>
        MapAsync(async () =>
        {
            await continuation(requestStream, responseStream, context).ConfigureAwait(false);
            return true;
        }, context);

    /// <summary>The status a caller gets for <paramref name="exception"/>, or null to leave it to gRPC.</summary>
    public static RpcException? ToRpcException(Exception exception, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return exception switch
        {
            MetaException meta => ToRpcException(meta),
            OperationCanceledException when context.CancellationToken.IsCancellationRequested =>
                new RpcException(new Status(StatusCode.Cancelled, "the call was cancelled")),
            _ => null,
        };
    }

    /// <summary>The status a caller gets for <paramref name="exception"/>: its code's, with its message.</summary>
    public static RpcException ToRpcException(MetaException exception)
    {
        ArgumentNullException.ThrowIfNull(exception);
        var status = new Status(ToStatusCode(exception.Code), exception.Message);
        return ToTrailer(exception.Code) is { } trailer
            ? new RpcException(status, new Metadata { { ErrorTrailer, trailer } })
            : new RpcException(status);
    }

    /// <summary>The <see cref="ErrorTrailer"/> value of a namespace error; null for the others.</summary>
    public static string? ToTrailer(MetaErrorCode code) => code switch
    {
        MetaErrorCode.NotADirectory => "not-a-directory",
        MetaErrorCode.IsADirectory => "is-a-directory",
        MetaErrorCode.DirectoryNotEmpty => "directory-not-empty",
        _ => null,
    };

    public static StatusCode ToStatusCode(MetaErrorCode code) => code switch
    {
        MetaErrorCode.InvalidArgument => StatusCode.InvalidArgument,
        MetaErrorCode.NotFound => StatusCode.NotFound,
        MetaErrorCode.AlreadyExists => StatusCode.AlreadyExists,
        MetaErrorCode.NotOwner => StatusCode.PermissionDenied,
        MetaErrorCode.LeaseExpired or MetaErrorCode.Closing => StatusCode.FailedPrecondition,
        MetaErrorCode.NotADirectory or MetaErrorCode.IsADirectory or MetaErrorCode.DirectoryNotEmpty => StatusCode.FailedPrecondition,
        MetaErrorCode.Cancelled => StatusCode.Cancelled,
        MetaErrorCode.Unavailable => StatusCode.Unavailable,
        _ => StatusCode.Internal,
    };

    private static async Task<T> MapAsync<T>(Func<Task<T>> call, ServerCallContext context)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (Exception ex) when (ToRpcException(ex, context) is { } mapped)
        {
            throw mapped;
        }
    }
}
