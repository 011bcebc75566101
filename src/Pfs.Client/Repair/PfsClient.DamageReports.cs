using Grpc.Core;
using Pfs.Client.Transport;
using Pfs.Protocol.Meta;

namespace Pfs.Client;

/// <summary>
/// Damage a read finds (a shard that fails its checksum on a server's disk, or that a server no longer
/// holds) is read around at once, and reported to the metadata server in the background, so the file
/// counts as degraded and a repair rebuilds it. The read never waits for the report.
/// </summary>
public sealed partial class PfsClient
{
    // Reports on their way: disposing the client lets them arrive (each is bounded by the operation timeout)
    // rather than cancelling them, so a reader that reads and goes at once still reports what it found.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Task, byte> _damageReports = new();

    // The layout lets through one report per (file, position) per open.
    private void ReportDamageInBackground(FileLayout layout, int position, long stripe, string reason)
    {
        var report = Task.Run(() => ReportDamageAsync(layout.Name, layout.FileId, position, stripe, reason), CancellationToken.None);
        _damageReports[report] = 0;
        _ = report.ContinueWith(static (done, state) => ((System.Collections.Concurrent.ConcurrentDictionary<Task, byte>)state!).TryRemove(done, out _),
            _damageReports, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>Waits for the damage reports still on their way (they never fault, and each ends within the operation timeout).</summary>
    private Task DamageReportsSentAsync() => Task.WhenAll(_damageReports.Keys);

    private async Task ReportDamageAsync(string name, ulong fileId, int position, long stripe, string reason)
    {
        try
        {
            var request = new ReportDamageRequest { FileId = fileId, Position = position, Reason = reason };
            request.Stripes.Add(new BlockRange { Start = stripe, Count = 1 });
            var reply = await _meta.ReportDamageAsync(request, Bounded(_disposing.Token)).ResponseAsync.ConfigureAwait(false);
            Log.DamageReported(_logger, name, position, reason, reply.Marked);
        }
        catch (Exception ex) when (ex is RpcException or OperationCanceledException or ObjectDisposedException)
        {
            // A repair's own look at the file servers' damage lists, or the next reader, reports it again.
            Log.DamageReportFailed(_logger, name, position, reason, ex.Message);
        }
    }
}
