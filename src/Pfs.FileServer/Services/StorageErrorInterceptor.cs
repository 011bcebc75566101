using Grpc.Core;
using Grpc.Core.Interceptors;
using Pfs.FileServer.Storage;

namespace Pfs.FileServer.Services;

/// <summary>
/// The file server's one error boundary: storage code throws <see cref="BlockStoreException"/>, and this
/// turns it into the status code its error stands for, with its message (which is safe to show a
/// client). A call ended by its own cancellation becomes Cancelled. Everything else passes through
/// untouched, so a bug still surfaces as one.
/// </summary>
internal sealed class StorageErrorInterceptor : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(continuation);
        try
        {
            return await continuation(request, context).ConfigureAwait(false);
        }
        catch (BlockStoreException ex)
        {
            throw new RpcException(new Status(ToStatusCode(ex.Error), ex.Message));
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            throw new RpcException(new Status(StatusCode.Cancelled, "the call was cancelled"));
        }
    }

    private static StatusCode ToStatusCode(BlockStoreError error) => error switch
    {
        BlockStoreError.InvalidArgument => StatusCode.InvalidArgument,
        BlockStoreError.OutOfRange => StatusCode.OutOfRange,
        BlockStoreError.NoSpace => StatusCode.ResourceExhausted,
        BlockStoreError.StaleEpoch => StatusCode.FailedPrecondition,
        BlockStoreError.Deleted => StatusCode.NotFound,
        BlockStoreError.Busy => StatusCode.Unavailable,
        // Transient, as Busy is: callers retry with backoff (the client library does, for every file-server
        // call). ResourceExhausted is kept for the disk, which no retry fixes; clients read it as NoSpace.
        BlockStoreError.OutOfHandles => StatusCode.Unavailable,
        BlockStoreError.DataLoss => StatusCode.DataLoss,
        _ => StatusCode.Internal,
    };
}
