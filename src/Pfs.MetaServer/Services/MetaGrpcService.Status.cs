using Grpc.Core;
using Pfs.Protocol.Meta;

namespace Pfs.MetaServer.Services;

/// <summary>ClusterStatus: a read-only snapshot for operators (<c>pfs stats</c>).</summary>
internal sealed partial class MetaGrpcService
{
    public override Task<ClusterStatusReply> ClusterStatus(ClusterStatusRequest request, ServerCallContext context)
    {
        var (files, bytes) = _names.Totals();
        var (openRead, openWrite) = _opens.HeldCounts();
        var (locksHeld, locksWaiting) = _locks.Totals();
        var (repairedPositions, repairedFiles, lastRepair) = _names.Repairs.Totals();
        var reply = new ClusterStatusReply
        {
            RepairedPositions = repairedPositions,
            RepairedFiles = repairedFiles,
            LastRepairUnixMs = lastRepair?.ToUnixTimeMilliseconds() ?? 0,
            FileCount = files,
            TotalBytes = bytes,
            OpenRead = openRead,
            OpenWrite = openWrite,
            LocksHeld = locksHeld,
            LocksWaiting = locksWaiting,
            SubscribedClients = _sessions.SubscriberCount,
            DegradedFiles = _names.Degraded(ulong.MaxValue, 0).Total,
        };
        reply.FileServers.AddRange(_names.FileServers);
        return Task.FromResult(reply);
    }
}
