using Pfs.Benchmarks.Cluster;
using Pfs.Benchmarks.Report;

namespace Pfs.Benchmarks.Macro;

// The namespace phase (--only namespace): creates in one shared directory, empty and full.
internal sealed partial class MacroRunner
{
    private async Task MeasureSharedDirectoryAsync(ProcessCluster cluster, CancellationToken cancellationToken)
    {
        await using var benchmark = new SharedDirectoryBenchmark(cluster, settings.OpenCloseTime, Progress);
        var (empty, full, fill) = await benchmark.RunAsync(cancellationToken);
        Progress($"shared directory: {SharedDirectoryBenchmark.Clients} clients create {Number(empty)}/s from empty, "
                 + $"{Number(full)}/s in one of {Number(SharedDirectoryBenchmark.FullEntries)} entries (filled in {fill.TotalSeconds:0.0} s)");
        var store = cluster.DurableMetadata ? "durable metadata" : "metadata IN MEMORY";
        _table.Add("namespace", new Figure($"creates, 16 clients, one directory from empty ({store})", $"{Number(empty)}/s"));
        _table.Add("namespace", new Figure($"creates, 16 clients, same directory at 100,000 entries ({store})", $"{Number(full)}/s",
            $"{full / empty:0.00}x empty", ">= 0.8x empty", full >= 0.8 * empty ? Verdict.Pass : Verdict.Miss));
    }
}
