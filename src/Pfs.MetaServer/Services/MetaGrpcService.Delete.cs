using Grpc.Core;
using Pfs.MetaServer.Errors;
using Pfs.MetaServer.Locking;
using Pfs.MetaServer.Persistence;
using Pfs.MetaServer.Registry;
using Pfs.Protocol.Meta;

namespace Pfs.MetaServer.Services;

internal sealed partial class MetaGrpcService
{
    /// <summary>
    /// The version-1 Delete: waits for exclusive access like a writer, then unlinks the name; if that was
    /// the file's last name, it is freed (its waiters get NotFound and the reclaimer removes its stripe
    /// objects). The reply no longer carries a capability: nothing of a deleted generation may be written.
    /// </summary>
    public override async Task<DeleteReply> Delete(DeleteRequest request, ServerCallContext context)
    {
        var clientId = RequireSession(request.ClientId, context);
        while (true)
        {
            var target = _names.Lookup(request.Base, request.Name);
            if (target.Node is SymlinkNode)
            {
                // A symbolic link has no lock and no blocks: it is just unlinked.
                var link = await _names.UnlinkAsync(request.Base, request.Name, clientId, context.CancellationToken).ConfigureAwait(false);
                return new DeleteReply { File = link.ToFileInfo() };
            }

            target = _names.LookupFile(request.Base, request.Name);
            var fileId = target.Node.Id;
            using var entry = _opens.BeginPending(clientId, request.OpenId, target.Path, fileId, LockKind.Write, context.CancellationToken);
            using var lease = await WaitForLockAsync(entry, context.CancellationToken).ConfigureAwait(false);
            try
            {
                if (!_opens.TryStartDelete(entry))
                {
                    throw MetaException.Cancelled($"delete {entry.OpenId} was released");
                }

                // Last point where giving up changes nothing; past the store call the name is gone.
                if (context.CancellationToken.IsCancellationRequested)
                {
                    throw MetaException.Cancelled("the call was cancelled");
                }

                // A rename may have moved things while this waited: the path is resolved again.
                var deleted = await _names.DeleteFileAsync(request.Base, request.Name, fileId, clientId).ConfigureAwait(false);
                if (deleted is null)
                {
                    continue;
                }

                var (before, freed, reclaim) = deleted.Value;
                if (freed)
                {
                    // Before the lock is released: waiters must learn the file is gone, not get its lock.
                    _locks.Fail(fileId, MetaException.NotFound(before.Path));

                    // As the first version did, the blocks are gone when Delete returns, unless a file
                    // server is down (then the reclaimer goes on trying).
                    if (reclaim)
                    {
                        await _reclaimer.ReclaimNowAsync(fileId, NodeFields.ReclaimValue((FileNode)before.Node, before.Path)).ConfigureAwait(false);
                    }
                }

                LogDeleted(_logger, clientId, before.Path, fileId, freed);
                return new DeleteReply { File = before.ToFileInfo() };
            }
            finally
            {
                _opens.Forget(entry);
            }
        }
    }
}
