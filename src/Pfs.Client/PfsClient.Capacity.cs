using Pfs.Client.Transport;
using Pfs.Protocol.FileServer;

namespace Pfs.Client;

/// <summary>The file servers' real capacity, summed (statfs on a mount). Internal: the mount uses it.</summary>
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
        return (replies.Sum(r => r.TotalBytes), replies.Sum(r => r.FreeBytes), replies.Sum(r => r.AvailableBytes));
    }
}
