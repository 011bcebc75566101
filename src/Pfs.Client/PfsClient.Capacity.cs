using Pfs.Client.Transport;
using Pfs.Protocol.FileServer;

namespace Pfs.Client;

/// <summary>
/// The file servers' real capacity, summed (statfs on a mount), each disk once: servers that report the same
/// file system (several on one machine's disk) count as one. Internal: the mount uses it.
/// </summary>
public sealed partial class PfsClient
{
    internal async Task<(long TotalBytes, long FreeBytes, long AvailableBytes)> GetCapacityAsync(CancellationToken cancellationToken = default)
    {
        var status = await GetClusterStatusAsync(cancellationToken).ConfigureAwait(false);
        var replies = await Task.WhenAll(status.FileServers.Select(async address =>
        {
            try
            {
                return await _pool.Get(address).Client.CapacityAsync(new CapacityRequest(), Bounded(cancellationToken)).ResponseAsync.ConfigureAwait(false);
            }
            catch (Grpc.Core.RpcException ex)
            {
                throw PfsErrors.FromRpc(ex, $"capacity of file server {address}");
            }
        })).ConfigureAwait(false);
        var disks = replies.Select((reply, i) => (Key: reply.Disk.Length > 0 ? reply.Disk : $"server {i}", Reply: reply))
            .DistinctBy(disk => disk.Key)
            .Select(disk => disk.Reply)
            .ToList();
        return (disks.Sum(r => r.TotalBytes), disks.Sum(r => r.FreeBytes), disks.Sum(r => r.AvailableBytes));
    }
}
