using Grpc.Core;
using Pfs.Protocol.FileServer;
using Pfs.Protocol.Meta;
using FileInfo = Pfs.Protocol.Meta.FileInfo;

namespace Pfs.Client;

/// <summary>
/// The start of a repair pass: every file server's list of damaged blocks (found by its scrub, or by reads)
/// is read, each block mapped to its file and stripe position, and reported to the metadata server, so the
/// pass that follows rebuilds it. The metadata server never talks to file servers about data; the repair
/// worker carries the news.
/// </summary>
public sealed partial class PfsClient
{
    private const int DamagePage = 1000;

    // Reports every damaged block the file servers list; returns the files that cannot be repaired (no
    // parity), one failure each. A server that cannot be asked now is skipped: a later pass asks again.
    private async Task<List<PfsRepairFailure>> CollectDamageAsync(IReadOnlyList<string> fileServers, CancellationToken cancellationToken)
    {
        var files = new Dictionary<ulong, FileInfo?>();
        var found = new Dictionary<(ulong File, int Position), (string Server, List<long> Stripes)>();
        var unrepairable = new Dictionary<ulong, PfsRepairFailure>();
        foreach (var address in fileServers)
        {
            await foreach (var block in ListDamageAsync(address, cancellationToken).ConfigureAwait(false))
            {
                if (!files.TryGetValue(block.Generation, out var file))
                {
                    file = await FileByIdAsync(block.Generation, cancellationToken).ConfigureAwait(false);
                    files[block.Generation] = file;
                }

                var recipe = file?.Recipe;
                var position = recipe?.Servers.Take(recipe.StripeWidth + recipe.ParityBlocks).ToList()
                    .FindIndex(server => string.Equals(server, address, StringComparison.OrdinalIgnoreCase)) ?? -1;
                if (file is null || position < 0)
                {
                    // Deleted since (its objects go with it), or not one of its servers: nothing to rebuild.
                    continue;
                }

                if (recipe!.ParityBlocks == 0)
                {
                    // M = 0: block b of position p is file block b * K + p, and nothing can rebuild it.
                    var offset = ((block.BlockIndex * recipe.StripeWidth) + position) * (long)recipe.BlockSize;
                    unrepairable.TryAdd(file.FileId, new PfsRepairFailure(file.Name, file.FileId,
                        $"the block at byte offset {offset} is damaged on file server {address} and the file has no parity to rebuild it from"));
                    continue;
                }

                if (!found.TryGetValue((file.FileId, position), out var entry))
                {
                    entry = (address, []);
                    found[(file.FileId, position)] = entry;
                }

                // A shard's local block is its stripe.
                entry.Stripes.Add(block.Offset / recipe.BlockSize);
            }
        }

        foreach (var ((fileId, position), (server, stripes)) in found)
        {
            var request = new ReportDamageRequest { FileId = fileId, Position = position, Reason = $"damaged blocks listed by file server {server}" };
            request.Stripes.AddRange(stripes.Take(DamagePage).Select(stripe => new BlockRange { Start = stripe, Count = 1 }));
            try
            {
                await CallMetaAsync("report damage", () => _meta.ReportDamageAsync(request, Bounded(cancellationToken)).ResponseAsync, cancellationToken)
                    .ConfigureAwait(false);
            }
            catch (PfsException ex) when (ex.Code == PfsErrorCode.NotFound)
            {
                // Deleted meanwhile.
            }
        }

        return [.. unrepairable.Values];
    }

    // One server's damaged blocks, page by page. A server that does not answer lists nothing this time.
    private async IAsyncEnumerable<DamagedBlock> ListDamageAsync(string address, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var server = _pool.Get(address);
        var request = new ListDamageRequest { Limit = DamagePage };
        while (true)
        {
            ListDamageReply page;
            try
            {
                // No wait-for-ready: a server that is down is asked again by the next pass.
                page = await server.Client.ListDamageAsync(request, new CallOptions(deadline: DateTime.UtcNow + Options.OperationTimeout,
                    cancellationToken: cancellationToken)).ResponseAsync.ConfigureAwait(false);
            }
            catch (RpcException ex) when (!cancellationToken.IsCancellationRequested)
            {
                Log.DamageListFailed(_logger, address, ex.Status.Detail);
                yield break;
            }

            foreach (var block in page.Blocks)
            {
                yield return block;
            }

            if (!page.More || page.Blocks.Count == 0)
            {
                yield break;
            }

            request.AfterGeneration = page.Blocks[^1].Generation;
            request.AfterOffset = page.Blocks[^1].Offset;
        }
    }

    // A file by its id (inode), with one of its names; null if it is gone.
    private async Task<FileInfo?> FileByIdAsync(ulong fileId, CancellationToken cancellationToken)
    {
        try
        {
            var reply = await StatCallAsync($"stat inode {fileId}", new StatRequest { Base = fileId, Name = string.Empty }, cancellationToken).ConfigureAwait(false);
            return reply.File.Kind == NodeKind.File ? reply.File : null;
        }
        catch (PfsException ex) when (ex.Code is PfsErrorCode.NotFound or PfsErrorCode.NotADirectory)
        {
            return null;
        }
    }
}
