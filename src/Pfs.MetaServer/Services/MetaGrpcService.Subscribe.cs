using Google.Protobuf;
using Grpc.Core;
using Pfs.MetaServer.Security;
using Pfs.Protocol.Meta;

namespace Pfs.MetaServer.Services;

internal sealed partial class MetaGrpcService
{
    public override async Task Subscribe(SubscribeRequest request, IServerStreamWriter<Notice> responseStream, ServerCallContext context)
    {
        var clientId = RequireClientId(request.ClientId);
        var token = _tokens.Claim(clientId, context);
        var caller = Caller.Of(context);
        var subscriber = _sessions.Subscribe(clientId, request.NamespaceNotices, caller.Scope, caller.Name);
        _leases.ClientConnected(clientId);
        LogSubscribed(_logger, clientId, subscriber.SessionId);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, subscriber.Ended, _stopping);
        try
        {
            // This loop is the only writer of the stream: Hello first, then the queue in seq order.
            await responseStream.WriteAsync(new Notice { Seq = 0, Hello = new Hello { SessionId = subscriber.SessionId, ServerInstance = _instance.Id, SessionToken = ByteString.CopyFrom(token) } }, stop.Token).ConfigureAwait(false);
            await foreach (var notice in subscriber.Reader.ReadAllAsync(stop.Token).ConfigureAwait(false))
            {
                await responseStream.WriteAsync(notice, stop.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // The client went away, subscribed again, fell too far behind, or this server is stopping
            // (an open stream would otherwise hold shutdown up until Kestrel gives up on it).
        }
        finally
        {
            if (_sessions.Detach(subscriber))
            {
                _leases.CheckClient(clientId);
            }

            subscriber.End();
            LogUnsubscribed(_logger, clientId, subscriber.SessionId, subscriber.Overflowed);
        }
    }
}
