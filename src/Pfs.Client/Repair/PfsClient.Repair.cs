using System.Diagnostics;
using Pfs.Client.Diagnostics;
using Pfs.Protocol.Meta;

namespace Pfs.Client;

/// <summary>
/// Repair: every degraded file (a file with parity some of whose positions are stale) gets its stale
/// shards rebuilt from the others and written back. The metadata server keeps the list and never
/// touches data; this client does the work, as an exclusive writer of each file in turn.
/// </summary>
public sealed partial class PfsClient
{
    /// <summary>
    /// One repair pass. First every file server's list of damaged blocks (found by its scrub or by reads)
    /// is collected and reported to the metadata server, so those positions count as stale; a damaged
    /// block of a file without parity cannot be rebuilt and is reported in <see cref="PfsRepairReport.Failures"/>.
    /// Then every file the metadata server lists as degraded is opened for writing (waiting
    /// for its current holders), its stale shards are rebuilt from K good shards of every stripe and
    /// written to their servers, and its close clears them (the rewritten blocks leave the servers'
    /// damage lists). A file that cannot be repaired now (more than M of its servers lost or unreachable)
    /// is reported in <see cref="PfsRepairReport.Failures"/> and stays degraded.
    /// </summary>
    public async Task<PfsRepairReport> RepairAsync(IProgress<PfsRepairProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        using var activity = PfsTelemetry.Source.StartActivity("pfs.repair.pass");
        var status = await GetClusterStatusAsync(cancellationToken).ConfigureAwait(false);
        var failures = await CollectDamageAsync(status.FileServers, cancellationToken).ConfigureAwait(false);
        activity?.SetTag("pfs.repair.unrepairable", failures.Count);
        var repaired = 0;
        long rebuilt = 0;
        ulong after = 0;
        // This pass's answer of each file server a stale position is on (null: it answered), so a server that is down
        // costs the pass one look, not an operation timeout per file.
        var servers = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        while (true)
        {
            var page = await CallMetaAsync("list degraded files", () => _meta.ListDegradedAsync(
                new ListDegradedRequest { After = after }, Bounded(cancellationToken)).ResponseAsync, cancellationToken).ConfigureAwait(false);
            foreach (var file in page.Files)
            {
                after = file.FileId;
                if (file.Recipe.ParityBlocks == 0)
                {
                    // Its stale positions lost their blocks with a server that came back empty: nothing to rebuild from.
                    failures.Add(new PfsRepairFailure(file.Name, file.FileId, LostWithoutParity(file)));
                    continue;
                }

                if (await StaleServerMissingAsync(file, servers, cancellationToken).ConfigureAwait(false) is { } missing)
                {
                    failures.Add(new PfsRepairFailure(file.Name, file.FileId, missing));
                    continue;
                }

                progress?.Report(new PfsRepairProgress(repaired, failures.Count, rebuilt, file.Name));
                try
                {
                    rebuilt += await RepairFileAsync(file.FileId, file.Name, bytes =>
                        progress?.Report(new PfsRepairProgress(repaired, failures.Count, rebuilt + bytes, file.Name)), cancellationToken).ConfigureAwait(false);
                    repaired++;
                }
                catch (PfsException ex) when (!cancellationToken.IsCancellationRequested)
                {
                    failures.Add(new PfsRepairFailure(file.Name, file.FileId, ex.Message));
                    if (ex.Code == PfsErrorCode.Unavailable)
                    {
                        // One of its servers may have gone since it was asked: the next file that needs one asks again.
                        servers.Clear();
                    }
                }
            }

            if (!page.More)
            {
                break;
            }
        }

        progress?.Report(new PfsRepairProgress(repaired, failures.Count, rebuilt, null));
        activity?.SetTag("pfs.repair.files", repaired);
        activity?.SetTag("pfs.repair.failures", failures.Count);
        activity?.SetTag("pfs.repair.bytes", rebuilt);
        if (failures.Count > 0)
        {
            activity?.SetStatus(ActivityStatusCode.Error, $"{failures.Count} files could not be repaired");
        }

        PfsMetrics.RecordRepairPass(failures.Count);
        return new PfsRepairReport(repaired, rebuilt, failures);
    }

    private static string LostWithoutParity(Pfs.Protocol.Meta.FileInfo file) =>
        $"its blocks on file server {string.Join(", ", file.StalePositions.Select(position => file.Recipe.Servers[position]))} were lost " +
        "(the server came back without its data, or lost a committed write) and the file has no parity to rebuild them from; write it anew or delete it";

    // Returns the bytes rebuilt; throws PfsException if the file cannot be repaired now.
    private async Task<long> RepairFileAsync(ulong fileId, string name, Action<long> onBytes, CancellationToken cancellationToken)
    {
        using var activity = PfsTelemetry.Source.StartActivity("pfs.repair.file");
        activity?.SetTag("pfs.file", name);
        activity?.SetTag("pfs.file.inode", fileId);
        PfsFile file;
        try
        {
            file = await OpenAtAsync(fileId, string.Empty, PfsOpenMode.Write, cancellationToken).ConfigureAwait(false);
        }
        catch (PfsException ex) when (ex.Code == PfsErrorCode.NotFound)
        {
            // Deleted meanwhile: nothing left to repair.
            return 0;
        }

        await using (file.ConfigureAwait(false))
        {
            var layout = file.Layout;
            var stale = layout.UnusablePositions();
            activity?.SetTag("pfs.repair.positions", string.Join(' ', stale));
            if (layout.Parity == 0 || stale.Count == 0)
            {
                return 0;
            }

            var stripeBytes = (long)layout.Width * layout.BlockSize;
            var stripes = (file.Size + stripeBytes - 1) / stripeBytes;
            long done = 0;
            var rebuilt = await Transport.Erasure.RebuildAsync(layout, stale, stripes, bytes =>
            {
                done += bytes;
                PfsMetrics.RecordRebuilt(bytes);
                onBytes(done);
            }, cancellationToken).ConfigureAwait(false);
            await file.CloseAsync().ConfigureAwait(false);
            PfsMetrics.RecordRepairedFile();
            activity?.SetTag("pfs.repair.stripes", stripes);
            activity?.SetTag("pfs.repair.bytes", rebuilt);
            return rebuilt;
        }
    }
}
