using Pfs.Benchmarks.Cluster;
using Pfs.Benchmarks.Report;

namespace Pfs.Benchmarks.Macro;

// The namespace phase (--only namespace): an mdtest pass next to the store's bare ceiling, a listing of
// 100,000 entries, and creates in one shared directory, empty and full (--ns-entries, 1,000,000 by default).
internal sealed partial class MacroRunner
{
    private const int MdtestFilesPerClient = 2_000;

    private async Task MeasureNamespaceAsync(ProcessCluster cluster, ServerBinaries binaries, CancellationToken cancellationToken)
    {
        var store = cluster.DurableMetadata ? "durable metadata" : "metadata IN MEMORY";
        if (cluster.DurableMetadata)
        {
            // A no-op gRPC server beside the cluster: the bare unary call a stat is compared with.
            await cluster.StartWireServersAsync(binaries, 1, ports: null, cancellationToken);
            await using var mdtest = new MdtestBenchmark(cluster, MdtestFilesPerClient, Progress);
            var (shared, own, sharedUnary, ceiling) = await mdtest.RunAsync(cancellationToken);
            foreach (var (where, rates) in new[]
                     {
                         ("one shared directory", shared), ("a directory each", own),
                         ("one shared directory, a unary call each (NamespaceStream off)", sharedUnary),
                     })
            {
                var label = $"mdtest, {MdtestBenchmark.Clients} clients x {MdtestFilesPerClient:N0} files, {where}, medians of {MdtestBenchmark.Rounds}";
                _table.Add("namespace", new Figure($"{label}: creates", $"{Number(rates.Creates)}/s", $"{rates.Creates / ceiling.Creates:P0} of store",
                    ">= 50% of store", rates.Creates >= 0.5 * ceiling.Creates ? Verdict.Pass : Verdict.Miss));
                _table.Add("namespace", new Figure($"{label}: stats", $"{Number(rates.Stats)}/s", $"{rates.Stats / ceiling.Stats:P0} of bare gRPC", ">= 15,000/s",
                    rates.Stats >= 15_000 ? Verdict.Pass : Verdict.Miss));
                _table.Add("namespace", new Figure($"{label}: CPU per create", $"{rates.CreateCost.Total:0} us",
                    $"store's own: {ceiling.CreateCost.Total / rates.CreateCost.Total:P0} of it"));
                _table.Add("namespace", new Figure($"{label}: CPU per stat", $"{rates.StatCost.Total:0} us", $"bare gRPC call's: {ceiling.StatCost.Total / rates.StatCost.Total:P0} of it"));
                _table.Add("namespace", new Figure($"{label}: listing (every client lists the directory)", $"{Number(rates.ListedEntries)} entries/s"));
                _table.Add("namespace", new Figure($"{label}: removes", $"{Number(rates.Removes)}/s", $"{rates.Removes / ceiling.Removes:P0} of store",
                    ">= 50% of store", rates.Removes >= 0.5 * ceiling.Removes ? Verdict.Pass : Verdict.Miss));
                _table.Add("namespace", new Figure($"{label}: CPU per remove", $"{rates.RemoveCost.Total:0} us",
                    $"store's own: {ceiling.RemoveCost.Total / rates.RemoveCost.Total:P0} of it"));
            }

            _table.Add("namespace", new Figure("store ceiling: the same create MULTI/EXEC, bare StackExchange.Redis, 16 callers", $"{Number(ceiling.Creates)}/s"));
            _table.Add("namespace", new Figure("store ceiling: the same unlink MULTI/EXEC, bare StackExchange.Redis, 16 callers", $"{Number(ceiling.Removes)}/s"));
            _table.Add("namespace", new Figure("bare gRPC ceiling: a unary call to a no-op handler (Pfs.WireServer), 16 callers with a connection each",
                $"{Number(ceiling.Stats)}/s", $"{ceiling.StatCost.Total:0} us CPU per call"));
            _table.Add("namespace", new Figure("bare stream ceiling: a namespace-stream round trip to a no-op handler (Pfs.WireServer), 16 callers with a stream each",
                $"{Number(ceiling.Piped)}/s", $"{ceiling.PipedCost.Total:0} us CPU per round trip"));

            // On two shared cores a rate follows CPU per operation. A create or remove over the stream costs at least the
            // store's own transaction and one round trip, so even with no work of Pfs's own its share of the store's rate
            // is at most store / (store + round trip).
            _table.Add("namespace", new Figure("bound: a create that is only the store's transaction and a bare stream round trip",
                $"{ceiling.CreateCost.Total / (ceiling.CreateCost.Total + ceiling.PipedCost.Total):P0} of store"));
            _table.Add("namespace", new Figure("bound: a remove that is only the store's transaction and a bare stream round trip",
                $"{ceiling.RemoveCost.Total / (ceiling.RemoveCost.Total + ceiling.PipedCost.Total):P0} of store"));
        }

        var entries = settings.NamespaceEntries;
        await using var benchmark = new SharedDirectoryBenchmark(cluster, settings.OpenCloseTime, entries, Progress);
        var (empty, full, fill) = await benchmark.RunAsync(cancellationToken);
        Progress($"shared directory: {SharedDirectoryBenchmark.Clients} clients create {Number(empty)}/s from empty, "
                 + $"{Number(full)}/s in one of {Number(entries)} entries (filled in {fill.TotalSeconds:0.0} s)");
        if (benchmark.ListRate > 0)
        {
            _table.Add("namespace", new Figure($"listing a directory of {SharedDirectoryBenchmark.ListedEntries:N0} entries, one client ({store})",
                $"{Number(benchmark.ListRate)} entries/s", "", ">= 200,000/s", benchmark.ListRate >= 200_000 ? Verdict.Pass : Verdict.Miss));
        }

        _table.Add("namespace", new Figure($"creates, 16 clients, one directory from empty ({store})", $"{Number(empty)}/s"));
        _table.Add("namespace", new Figure($"creates, 16 clients, same directory at {entries:N0} entries ({store})", $"{Number(full)}/s",
            $"{full / empty:0.00}x empty", ">= 0.8x empty", full >= 0.8 * empty ? Verdict.Pass : Verdict.Miss));
    }
}
