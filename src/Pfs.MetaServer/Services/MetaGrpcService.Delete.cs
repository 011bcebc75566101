using System.Diagnostics;
using Grpc.Core;
using Pfs.MetaServer.Errors;
using Pfs.MetaServer.Locking;
using Pfs.Protocol.Meta;

namespace Pfs.MetaServer.Services;

internal sealed partial class MetaGrpcService
{
    public override async Task<DeleteReply> Delete(DeleteRequest request, ServerCallContext context)
    {
        var clientId = RequireClientId(request.ClientId);
        RequireName(request.Name);
        var file = _registry.Find(request.Name) ?? throw MetaException.NotFound(request.Name);

        using var entry = _opens.BeginPending(clientId, request.OpenId, file.Name, file.FileId, LockKind.Write, context.CancellationToken);
        using var lease = await WaitForLockAsync(entry, context.CancellationToken).ConfigureAwait(false);
        try
        {
            var current = _registry.Find(file.Name);
            if (current is null || current.FileId != file.FileId)
            {
                throw MetaException.NotFound(file.Name);
            }

            if (!_opens.TryStartDelete(entry))
            {
                throw MetaException.Cancelled($"delete {entry.OpenId} was released");
            }

            // Last point where giving up changes nothing; past the store call the file is gone.
            if (context.CancellationToken.IsCancellationRequested)
            {
                throw MetaException.Cancelled("the call was cancelled");
            }

            await _registry.DeleteAsync(current).ConfigureAwait(false);

            // Before the lock is released: waiters must learn the file is gone, not get its lock.
            _locks.Fail(current.FileId, MetaException.NotFound(current.Name));
            var recipients = PublishDeleted(current.Name, current.FileId, clientId);
            LogDeleted(_logger, clientId, current.Name, current.FileId, recipients);
            _epochs.Forget(current.FileId);
            return new DeleteReply
            {
                File = current.ToFileInfo(),
                Capability = _signer.Sign(current.Name, current.FileId, write: true, _epochs.Next(), clientId),
            };
        }
        finally
        {
            _opens.Forget(entry);
        }
    }

    private int PublishDeleted(string name, ulong fileId, string deleterClientId)
    {
        using var activity = MetaServerTelemetry.Source.StartActivity("pfs.meta.file_deleted");
        activity?.SetTag("pfs.file.name", name);
        var deleted = new FileDeleted { Name = name, FileId = fileId };
        var recipients = _sessions.Broadcast(() => new Notice { Deleted = deleted }, deleterClientId);
        activity?.SetTag("pfs.invalidate.recipients", recipients);
        activity?.SetStatus(ActivityStatusCode.Ok);
        return recipients;
    }
}
