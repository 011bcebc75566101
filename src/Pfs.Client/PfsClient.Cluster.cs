using Pfs.Protocol.Meta;

namespace Pfs.Client;

/// <summary>Questions about where files live and how the cluster is doing (the <c>pfs stripe</c> and <c>pfs stats</c> views).</summary>
public sealed partial class PfsClient
{
    /// <summary>
    /// A file's stripe layout (size, block size and the file servers holding its blocks), as of
    /// the last writer's close. Throws <see cref="PfsErrorCode.NotFound"/> for a missing file.
    /// </summary>
    public async Task<PfsStripeLayout> GetLayoutAsync(string name, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        ValidateEntryPath(name, "laid out");
        var reply = await StatCallAsync($"stat '{name}'", new StatRequest { Name = name }, cancellationToken).ConfigureAwait(false);
        var file = reply.File;
        if (file.Kind != NodeKind.File)
        {
            throw new PfsException(file.Kind == NodeKind.Directory ? PfsErrorCode.IsADirectory : PfsErrorCode.InvalidArgument,
                $"'{file.Name}' is not a file and has no stripe layout");
        }

        var positions = file.Recipe.StripeWidth + file.Recipe.ParityBlocks;
        return new PfsStripeLayout(file.Name, file.Size, file.Recipe.BlockSize, [.. file.Recipe.Servers.Take(file.Recipe.StripeWidth)])
        {
            ParityBlocks = file.Recipe.ParityBlocks,
            Positions = [.. file.Recipe.Servers.Take(positions)],
            StalePositions = [.. file.StalePositions],
        };
    }

    /// <summary>The metadata server's view of the cluster: file servers, files, opens, locks and clients.</summary>
    public async Task<PfsClusterStatus> GetClusterStatusAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        var reply = await CallMetaAsync("cluster status", () => _meta.ClusterStatusAsync(
            new ClusterStatusRequest(), Bounded(cancellationToken)).ResponseAsync,
            cancellationToken).ConfigureAwait(false);
        return new PfsClusterStatus(
            [.. reply.FileServers],
            reply.FileCount,
            reply.TotalBytes,
            reply.OpenRead,
            reply.OpenWrite,
            reply.LocksHeld,
            reply.LocksWaiting,
            reply.SubscribedClients)
        {
            DegradedFiles = reply.DegradedFiles,
            RepairedPositions = reply.RepairedPositions,
            RepairedFiles = reply.RepairedFiles,
            LastRepair = reply.LastRepairUnixMs > 0 ? DateTimeOffset.FromUnixTimeMilliseconds(reply.LastRepairUnixMs) : null,
        };
    }
}
