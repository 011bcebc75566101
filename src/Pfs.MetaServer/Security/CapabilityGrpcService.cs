using Grpc.Core;
using Pfs.MetaServer.Locking;
using Pfs.MetaServer.Registry;
using Pfs.MetaServer.Sessions;
using Pfs.Protocol;
using Pfs.Protocol.Security;

namespace Pfs.MetaServer.Security;

/// <summary>
/// Renews the capability of an open that is still held: the same file, mode and epoch, with the
/// file's current committed-but-unapplied epochs and a new expiry. A handle that was closed, or
/// whose client lost its lease, or an identity that was revoked (the interceptor), gets none, so
/// the capability it had stops working within its lifetime.
/// </summary>
internal sealed class CapabilityGrpcService(OpenTable opens, Namespace names, CapabilitySigner signer, ClientTokens tokens)
    : CapabilityService.CapabilityServiceBase
{
    public override Task<RenewCapabilityReply> Renew(RenewCapabilityRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        tokens.Check(request.ClientId, context);
        var entry = opens.FindHeld(request.ClientId, request.Handle)
            ?? throw new RpcException(new Status(StatusCode.NotFound, $"handle {request.Handle} is not open"));
        if (names.FindFile(entry.FileId) is not { Node: FileNode file } found)
        {
            throw new RpcException(new Status(StatusCode.NotFound, $"the file of handle {request.Handle} is gone"));
        }

        return Task.FromResult(new RenewCapabilityReply
        {
            Capability = signer.Sign(found.Path, entry.FileId, entry.Kind == LockKind.Write, entry.Epoch, request.ClientId, file.PendingCommits),
        });
    }
}
