using Grpc.Core;
using Pfs.MetaServer.Errors;
using Pfs.MetaServer.Locking;
using Pfs.Protocol.Meta;

namespace Pfs.MetaServer.Services;

/// <summary>Advisory locks between clients: fcntl byte-range locks and flock locks (<see cref="RangeLockTable"/>).</summary>
internal sealed partial class MetaGrpcService
{
    public override async Task<LockReply> Lock(LockRequest request, ServerCallContext context)
    {
        var clientId = RequireSession(request.ClientId, context);
        if (request.Start > request.End)
        {
            throw MetaException.InvalidArgument($"a lock's start ({request.Start}) is past its end ({request.End})");
        }

        if (request.Type is not (RangeLockType.RangeLockRead or RangeLockType.RangeLockWrite or RangeLockType.RangeLockUnlock))
        {
            throw MetaException.InvalidArgument($"lock type {request.Type} must be READ, WRITE or UNLOCK");
        }

        var owner = new RangeLockOwner(clientId, request.Owner, request.Flock);
        if (request.Type == RangeLockType.RangeLockUnlock)
        {
            // Also for a file that is gone: what its owner held goes either way.
            _rangeLocks.Unlock(request.FileId, owner, request.Start, request.End);
            return new LockReply { Granted = true };
        }

        // A lock is for a file that exists, also one unlinked while open; directories have none.
        if (_names.FindFile(request.FileId) is null)
        {
            throw MetaException.NotFound($"file {request.FileId}");
        }

        var write = request.Type == RangeLockType.RangeLockWrite;
        if (request.Test)
        {
            return Answer(_rangeLocks.FindConflict(request.FileId, owner, request.Start, request.End, write), clientId);
        }

        if (!request.Wait)
        {
            var reply = Answer(_rangeLocks.TryLock(request.FileId, owner, request.Start, request.End, write, request.Pid), clientId);
            if (reply.Granted)
            {
                // A client without a notice stream holds what it was granted for a lease, as with a handle.
                _leases.CheckClient(clientId);
            }

            return reply;
        }

        RangeLock? deadlock;
        try
        {
            deadlock = await _rangeLocks.LockAsync(request.FileId, owner, request.Start, request.End, write, request.Pid, context.CancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            throw MetaException.Cancelled("the lock wait was cancelled");
        }

        if (deadlock is not null)
        {
            var refused = Answer(deadlock, clientId);
            refused.Deadlock = true;
            return refused;
        }

        // The lease may have ended while it waited: then what it was granted goes with the rest.
        _leases.CheckClient(clientId);
        return new LockReply { Granted = true };
    }

    // A process id means something only on its own client (host): another client's lock, and a flock lock, are reported with 0.
    private static LockReply Answer(RangeLock? conflict, string clientId) => conflict is null
        ? new LockReply { Granted = true }
        : new LockReply
        {
            ConflictType = conflict.Write ? RangeLockType.RangeLockWrite : RangeLockType.RangeLockRead,
            ConflictStart = conflict.Start,
            ConflictEnd = conflict.End,
            ConflictPid = conflict.Owner.Flock || !string.Equals(conflict.Owner.ClientId, clientId, StringComparison.Ordinal) ? 0 : conflict.Pid,
        };
}
