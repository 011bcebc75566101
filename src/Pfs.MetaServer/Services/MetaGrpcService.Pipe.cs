using Grpc.Core;
using Pfs.MetaServer.Errors;
using Pfs.Protocol.Meta;

namespace Pfs.MetaServer.Services;

/// <summary>
/// The namespace stream: the per-name calls as messages of one stream per client. A unary call costs
/// an HTTP/2 stream of its own (headers both ways, trailers, the call's set-up on both sides); a
/// message costs a frame each way. Each request runs the unary handler of the same name, after the
/// same authentication and authorization, and its failure becomes a <see cref="PipeError"/> with the
/// status the unary call would have ended with.
/// </summary>
internal sealed partial class MetaGrpcService
{
    /// <summary>Requests of one stream running at once; past it the stream is read no further until one ends.</summary>
    internal const int PipeConcurrency = 64;

    // Indexed by the call's field number (its enum value), so naming a span allocates nothing.
    private static readonly string[] PipeActivityNames = Enumerable.Range(0, 1 + Enum.GetValues<PipeRequest.CallOneofCase>().Max(call => (int)call))
        .Select(value => "pfs.meta.pipe." + ((PipeRequest.CallOneofCase)value).ToString().ToLowerInvariant()).ToArray();

    public override async Task Pipe(IAsyncStreamReader<PipeRequest> requestStream, IServerStreamWriter<PipeReply> responseStream, ServerCallContext context)
    {
        // A stream without a valid key is refused whole, at once (and each request is checked again:
        // a token expires and an identity is revoked while a stream stays open).
        await _authorizer.AuthenticateAsync(context).ConfigureAwait(false);
        using var slots = new SemaphoreSlim(PipeConcurrency, PipeConcurrency);
        using var writing = new SemaphoreSlim(1, 1);
        // A stopping server reads no more (what runs is answered first): a stream must not hold its shutdown up,
        // and the client sends what follows to the server that comes next.
        using var reading = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, _stopping);
        try
        {
            while (await requestStream.MoveNext(reading.Token).ConfigureAwait(false))
            {
                await slots.WaitAsync(reading.Token).ConfigureAwait(false);
                var reply = RunPipedAsync(requestStream.Current, context);
                if (reply.IsCompleted)
                {
                    // A stat, or a change that failed before the store: answer inline, no task to follow it.
                    await WritePipedAsync(reply.Result, responseStream, writing, slots).ConfigureAwait(false);
                }
                else
                {
                    _ = FinishPipedAsync(reply, responseStream, writing, slots);
                }
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested && !context.CancellationToken.IsCancellationRequested)
        {
            // Stopping: the call ends (OK) once the requests already read are answered.
        }
        finally
        {
            // Every reply is written (or its write has failed) before the call ends: a write after it is an error.
            for (var i = 0; i < PipeConcurrency; i++)
            {
                await slots.WaitAsync(CancellationToken.None).ConfigureAwait(false);
            }
        }
    }

    private static async Task FinishPipedAsync(Task<PipeReply> reply, IServerStreamWriter<PipeReply> responseStream, SemaphoreSlim writing, SemaphoreSlim slots) =>
        await WritePipedAsync(await reply.ConfigureAwait(false), responseStream, writing, slots).ConfigureAwait(false);

    private static async Task WritePipedAsync(PipeReply reply, IServerStreamWriter<PipeReply> responseStream, SemaphoreSlim writing, SemaphoreSlim slots)
    {
        await writing.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            await responseStream.WriteAsync(reply).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException or OperationCanceledException)
        {
            // The client has gone: the stream's reader sees it too and ends the call.
        }
        finally
        {
            writing.Release();
            slots.Release();
        }
    }

    /// <summary>One request, authorized and run as its unary call; never faults (a failure is the reply's error).</summary>
    private async Task<PipeReply> RunPipedAsync(PipeRequest request, ServerCallContext context)
    {
        var reply = new PipeReply { Id = request.Id };
        using var activity = MetaServerTelemetry.Source.StartActivity(PipeActivityNames[(int)request.CallCase]);
        try
        {
            switch (request.CallCase)
            {
                case PipeRequest.CallOneofCase.Create:
                    await _authorizer.AuthorizeAsync(request.Create, context, attach: false).ConfigureAwait(false);
                    reply.Create = await Create(request.Create, context).ConfigureAwait(false);
                    break;
                case PipeRequest.CallOneofCase.Stat:
                    await _authorizer.AuthorizeAsync(request.Stat, context, attach: false).ConfigureAwait(false);
                    reply.Stat = await Stat(request.Stat, context).ConfigureAwait(false);
                    break;
                case PipeRequest.CallOneofCase.Unlink:
                    await _authorizer.AuthorizeAsync(request.Unlink, context, attach: false).ConfigureAwait(false);
                    reply.Removed = await Unlink(request.Unlink, context).ConfigureAwait(false);
                    break;
                case PipeRequest.CallOneofCase.MakeDirectory:
                    await _authorizer.AuthorizeAsync(request.MakeDirectory, context, attach: false).ConfigureAwait(false);
                    reply.Node = await MakeDirectory(request.MakeDirectory, context).ConfigureAwait(false);
                    break;
                case PipeRequest.CallOneofCase.RemoveDirectory:
                    await _authorizer.AuthorizeAsync(request.RemoveDirectory, context, attach: false).ConfigureAwait(false);
                    reply.Removed = await RemoveDirectory(request.RemoveDirectory, context).ConfigureAwait(false);
                    break;
                case PipeRequest.CallOneofCase.Rename:
                    await _authorizer.AuthorizeAsync(request.Rename, context, attach: false).ConfigureAwait(false);
                    reply.Rename = await Rename(request.Rename, context).ConfigureAwait(false);
                    break;
                case PipeRequest.CallOneofCase.Link:
                    await _authorizer.AuthorizeAsync(request.Link, context, attach: false).ConfigureAwait(false);
                    reply.Node = await Link(request.Link, context).ConfigureAwait(false);
                    break;
                case PipeRequest.CallOneofCase.Symlink:
                    await _authorizer.AuthorizeAsync(request.Symlink, context, attach: false).ConfigureAwait(false);
                    reply.Node = await Symlink(request.Symlink, context).ConfigureAwait(false);
                    break;
                case PipeRequest.CallOneofCase.SetAttributes:
                    await _authorizer.AuthorizeAsync(request.SetAttributes, context, attach: false).ConfigureAwait(false);
                    reply.Node = await SetAttributes(request.SetAttributes, context).ConfigureAwait(false);
                    break;
                default:
                    throw MetaException.InvalidArgument("the request names no call this server knows");
            }
        }
        catch (Exception ex)
        {
            // Never faults, a cancelled stream's requests included: the reply gives the request's slot back (its write
            // then fails quietly if the stream is gone), and the stream's end waits for every slot.
            reply.Error = ex is OperationCanceledException && context.CancellationToken.IsCancellationRequested
                ? new PipeError { Code = (int)StatusCode.Cancelled, Detail = "the call was cancelled" }
                : ToPipeError(ex, request);
        }

        return reply;
    }

    private PipeError ToPipeError(Exception exception, PipeRequest request)
    {
        switch (exception)
        {
            case MetaException meta:
                return new PipeError
                {
                    Code = (int)MetaErrorInterceptor.ToStatusCode(meta.Code),
                    Detail = meta.Message,
                    Error = MetaErrorInterceptor.ToTrailer(meta.Code) ?? string.Empty,
                };
            case RpcException rpc:
                return new PipeError { Code = (int)rpc.StatusCode, Detail = rpc.Status.Detail };
            default:
                // What a unary call's handler would leave to gRPC: Unknown to the caller, the details in the log.
                LogPipeFailed(_logger, request.CallCase, exception);
                return new PipeError { Code = (int)StatusCode.Unknown, Detail = "Exception was thrown by handler." };
        }
    }

    [LoggerMessage(EventId = 8, EventName = "PipedRequestFailed", Level = LogLevel.Error, Message = "A piped {Call} request failed")]
    private static partial void LogPipeFailed(ILogger logger, PipeRequest.CallOneofCase call, Exception exception);
}
