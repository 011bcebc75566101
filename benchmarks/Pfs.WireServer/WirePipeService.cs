using Grpc.Core;
using Pfs.Protocol.Meta;

namespace Pfs.WireServer;

/// <summary>
/// The metadata server's namespace stream with nothing behind it: each request is answered at once with an
/// empty reply of its id, in order. What a bare client's round trip costs through it is what one namespace
/// call can cost at the least over gRPC; every other MetaService call is left unimplemented.
/// </summary>
internal sealed class WirePipeService : MetaService.MetaServiceBase
{
    public override async Task Pipe(IAsyncStreamReader<PipeRequest> requestStream, IServerStreamWriter<PipeReply> responseStream, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(requestStream);
        ArgumentNullException.ThrowIfNull(responseStream);
        ArgumentNullException.ThrowIfNull(context);
        while (await requestStream.MoveNext(context.CancellationToken).ConfigureAwait(false))
        {
            await responseStream.WriteAsync(new PipeReply { Id = requestStream.Current.Id, Removed = new RemoveReply() }).ConfigureAwait(false);
        }
    }
}
