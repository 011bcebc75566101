using System.Globalization;
using Pfs.Benchmarks.Cluster;
using Pfs.Benchmarks.Report;

namespace Pfs.Benchmarks.Macro;

/// <summary>The measured phases, each adding its rows to the table.</summary>
internal sealed partial class MacroRunner
{
    private static readonly int[] Widths = [1, 2, 4];
    private static readonly int[] BlockSizes = [512, MiB];

    private async Task MeasureThroughputAsync(ProcessCluster cluster, CancellationToken cancellationToken)
    {
        var sequential = new SequentialBenchmark(cluster, settings);
        using var ceiling = new CeilingBenchmark(cluster.FileServers.Select(s => s.Address), settings.CeilingMessageBytes, settings.CeilingConcurrency);

        // Warm up: JIT, connections, the servers' buffer pools.
        var warmBytes = Math.Min(settings.FileBytes, 16L * MiB);
        await using (var warm = await ceiling.OpenAsync(cluster, "ceiling-warm", cancellationToken))
        {
            await warm.WriteAsync(warmBytes, cancellationToken);
            await warm.ReadAsync(warmBytes, cancellationToken);
        }

        foreach (var blockSize in BlockSizes)
        {
            await sequential.RunAsync(4, blockSize, warmBytes, cancellationToken);
        }

        // The same runs on a smaller file first: the client's RSS must not grow with the file.
        var smallRuns = new Dictionary<int, SequentialResult>();
        foreach (var blockSize in BlockSizes)
        {
            smallRuns[blockSize] = await sequential.RunAsync(4, blockSize, settings.SmallFileBytes, cancellationToken);
        }

        // Each Pfs run sits between two ceiling runs (the one after it is also the one before the
        // next), and its ratio is to their mean: load from other programs that comes and goes, or
        // drifts, hits both sides of a ratio alike.
        var runs = new Dictionary<(int Width, int BlockSize), List<(SequentialResult Pfs, double CeilingWrite, double CeilingRead)>>();
        var ceilings = new List<(double Write, double Read)>();
        var ceilingCpu = new List<(CpuSnapshot Write, CpuSnapshot Read)>();
        var configs = BlockSizes.SelectMany(blockSize => Widths.Select(width => (Width: width, BlockSize: blockSize))).ToList();
        for (var repeat = 0; repeat < settings.Repeats; repeat++)
        {
            var before = await MeasureCeilingAsync(cluster, ceiling, $"ceiling-{repeat}-0", ceilings, ceilingCpu, cancellationToken);
            for (var i = 0; i < configs.Count; i++)
            {
                var (width, blockSize) = configs[i];
                var result = await sequential.RunAsync(width, blockSize, settings.FileBytes, cancellationToken);
                var after = await MeasureCeilingAsync(cluster, ceiling, $"ceiling-{repeat}-{i + 1}", ceilings, ceilingCpu, cancellationToken);
                var (ceilingWrite, ceilingRead) = ((before.Write + after.Write) / 2, (before.Read + after.Read) / 2);
                Progress($"#{repeat + 1} w={width} block={blockSize}: write {MBps(result.WriteMBps)} (ceiling {MBps(ceilingWrite)}), "
                         + $"read {MBps(result.ReadMBps)} (ceiling {MBps(ceilingRead)})");
                if (!runs.TryGetValue((width, blockSize), out var list))
                {
                    runs[(width, blockSize)] = list = [];
                }

                list.Add((result, ceilingWrite, ceilingRead));
                before = after;
            }
        }

        var medianWrite = Median(ceilings.Select(c => c.Write));
        var medianRead = Median(ceilings.Select(c => c.Read));
        var detail = $"{settings.FileServers} servers, {BenchSettings.Describe(settings.CeilingMessageBytes)} x {settings.CeilingConcurrency} in flight";
        var spread = ceilings.Count > 1 ? $"{ceilings.Count} runs, {Number(ceilings.Min(c => c.Write))}-{Number(ceilings.Max(c => c.Write))}" : "1 run";
        _table.Add("ceiling", new Figure($"bare gRPC write ({detail}, then sync)", MBps(medianWrite), spread));
        spread = ceilings.Count > 1 ? $"{ceilings.Count} runs, {Number(ceilings.Min(c => c.Read))}-{Number(ceilings.Max(c => c.Read))}" : "1 run";
        _table.Add("ceiling", new Figure($"bare gRPC read ({detail})", MBps(medianRead), spread));
        foreach (var ((width, blockSize), list) in runs)
        {
            AddSequential(width, blockSize, list);
        }

        var mib = settings.FileBytes / (double)MiB;
        AddCpu("ceiling write", ceilingCpu.Select(c => c.Write), mib);
        AddCpu("ceiling read", ceilingCpu.Select(c => c.Read), mib);
        foreach (var blockSize in BlockSizes)
        {
            var block = blockSize == 512 ? "512 B" : "1 MiB";
            AddCpu($"Pfs write w=4, {block} blocks", runs[(4, blockSize)].Select(r => r.Pfs.WriteCpu), mib);
            AddCpu($"Pfs read w=4, {block} blocks", runs[(4, blockSize)].Select(r => r.Pfs.ReadCpu), mib);
        }

        // A memory figure that could not be read is "not measured": a 0 would meet any "<" target.
        var all = runs.Values.SelectMany(l => l.Select(r => r.Pfs)).ToList();
        var fileServerPeak = RssSampler.Max(all.Select(r => r.FileServerPeakRss));
        var hwm = RssSampler.Max(cluster.FileServerPids.Select(RssSampler.ReadHighWaterMark));
        _table.Add("memory", new Figure("file server peak RSS during the sequential runs (largest of 4)", Megabytes(fileServerPeak),
            $"VmHWM {Megabytes(hwm)}", "< 150 MB", Judge(fileServerPeak is { } peak ? peak < 150_000_000 : null)));
        foreach (var blockSize in BlockSizes)
        {
            var small = smallRuns[blockSize];
            var bigRuns = runs[(4, blockSize)].Select(r => r.Pfs).ToList();
            var bigGrowth = RssSampler.Max(bigRuns.Select(r => r.ClientRssGrowth));
            var big = bigRuns.MaxBy(r => r.ClientRssGrowth ?? long.MaxValue)!;
            var block = blockSize == 512 ? "512 B" : "1 MiB";
            var figure = $"client RSS growth in a run, {BenchSettings.Describe(settings.FileBytes)} file (w=4, {block} blocks)";
            var ratio = $"{Megabytes(small.ClientRssGrowth)} at {BenchSettings.Describe(settings.SmallFileBytes)}; "
                        + $"peak {Megabytes(big.ClientPeakRss)}, kept after GC {Megabytes(big.ClientRetained is { } kept ? Math.Max(0, kept) : null)}";
            if (blockSize == 512)
            {
                // A 128-block cache of 512 B blocks holds 64 KiB: growth that follows the file size is a leak of sorts.
                bool? independent = bigGrowth is { } grew && small.ClientRssGrowth is { } smallGrew ? grew <= (smallGrew * 1.25) + (16L * MiB) : null;
                _table.Add("memory", new Figure(figure, Megabytes(bigGrowth), ratio, "<= 1.25x smaller file + 16 MiB", Judge(independent)));
            }
            else
            {
                // 128 cached blocks of 1 MiB hold up to 128 MiB per client (writer and reader each), filled by a smaller file too.
                _table.Add("memory", new Figure(figure + ", cache up to 128 MiB", Megabytes(bigGrowth), ratio));
            }
        }
    }

    // met is null when its figure was not measured; test the figure with "is { }" first, since a
    // lifted "<" on a null answers false, and a 0 in its place answers true.
    private static Verdict Judge(bool? met) => met switch
    {
        true => Verdict.Pass,
        false => Verdict.Miss,
        null => Verdict.NotMeasured,
    };

    private async Task<(double Write, double Read)> MeasureCeilingAsync(ProcessCluster cluster, CeilingBenchmark ceiling, string name,
        List<(double Write, double Read)> ceilings, List<(CpuSnapshot Write, CpuSnapshot Read)> ceilingCpu, CancellationToken cancellationToken)
    {
        await using var session = await ceiling.OpenAsync(cluster, name, cancellationToken);
        var cpu0 = CpuSnapshot.Take(cluster.ServerPids);
        var write = await session.WriteAsync(settings.FileBytes, cancellationToken);
        var cpu1 = CpuSnapshot.Take(cluster.ServerPids);
        var read = await session.ReadAsync(settings.FileBytes, cancellationToken);
        var cpu2 = CpuSnapshot.Take(cluster.ServerPids);
        ceilings.Add((write, read));
        ceilingCpu.Add((cpu1 - cpu0, cpu2 - cpu1));
        return (write, read);
    }

    // CPU per MiB moved, client and servers apart: with 2 cores for everything, 2000 ms / (sum) bounds MB/s.
    private void AddCpu(string what, IEnumerable<CpuSnapshot> samples, double mib)
    {
        var list = samples.ToList();
        var client = Median(list.Select(c => c.Client.TotalMilliseconds / mib));
        var servers = Median(list.Select(c => c.Servers.TotalMilliseconds / mib));
        _table.Add("cpu", new Figure($"{what}: CPU ms per MiB, client + servers",
            string.Create(CultureInfo.InvariantCulture, $"{client:0.00} + {servers:0.00}"),
            string.Create(CultureInfo.InvariantCulture, $"bound {2000 / (client + servers) * 1.048576:0} MB/s on 2 cores")));
    }

    internal static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count == 0 ? 0 : sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private void AddSequential(int width, int blockSize, List<(SequentialResult Pfs, double CeilingWrite, double CeilingRead)> runs)
    {
        var block = blockSize == 512 ? "512 B" : "1 MiB";
        var target = width != 4 ? (double?)null : blockSize == MiB ? 0.70 : 0.50;
        var kinds = new[]
        {
            ("write", Median(runs.Select(r => r.Pfs.WriteMBps)), Median(runs.Select(r => r.Pfs.WriteMBps / r.CeilingWrite))),
            ("read", Median(runs.Select(r => r.Pfs.ReadMBps)), Median(runs.Select(r => r.Pfs.ReadMBps / r.CeilingRead))),
        };
        foreach (var (kind, value, ratio) in kinds)
        {
            var verdict = target is not { } t ? Verdict.Info : ratio >= t ? Verdict.Pass : Verdict.Miss;
            _table.Add("sequential", new Figure(
                $"{kind} w={width}, {block} blocks", MBps(value), string.Create(CultureInfo.InvariantCulture, $"{ratio * 100:0}% of ceiling"),
                target is { } goal ? string.Create(CultureInfo.InvariantCulture, $">= {goal * 100:0}% of ceiling") : string.Empty, verdict));
        }
    }

    private async Task MeasureMetadataAsync(ProcessCluster cluster, CancellationToken cancellationToken)
    {
        var cacheHit = await CacheHitBenchmark.RunAsync(cluster, settings.CacheHitTime, cancellationToken);
        Progress($"cache-hit reads: {Number(cacheHit.OpsPerSecond)}/s, {Number(cacheHit.OpsPerCpuSecond)} per CPU-second "
                 + $"({Number(cacheHit.Reads)} reads, {Number(cacheHit.BytesRead)} bytes, {Number(cacheHit.Hits)} hits counted)");
        // A rate of reads that returned short, wrong or uncached bytes is not a cache-hit rate.
        _table.Add("cache", new Figure("cache-hit 512 B reads, one thread", $"{Number(cacheHit.OpsPerSecond)}/s",
            cacheHit.Fault ?? $"{Number(cacheHit.OpsPerCpuSecond)} per CPU-s",
            ">= 2,000,000/s", cacheHit.Fault is null && cacheHit.OpsPerSecond >= 2_000_000 ? Verdict.Pass : Verdict.Miss));
        var cacheHitOff = await CacheHitBenchmark.RunAsync(cluster, settings.CacheHitTime, cancellationToken, options => options with { ReadAheadBytes = 0 });
        _table.Add("cache", new Figure("cache-hit 512 B reads, one thread, read-ahead off (before)", $"{Number(cacheHitOff.OpsPerSecond)}/s",
            cacheHitOff.Fault ?? $"{Number(cacheHitOff.OpsPerCpuSecond)} per CPU-s"));

        await using var openClose = new OpenCloseBenchmark(cluster, settings);
        var (one, _) = await openClose.PairsPerSecondAsync(1, cancellationToken);
        var (sixteen, pairCpu) = await openClose.PairsPerSecondAsync(16, cancellationToken);
        var (p50, p99) = await openClose.WriterCloseAsync(16, cancellationToken);
        Progress($"open+close: 1 client {Number(one)}/s, 16 clients {Number(sixteen)}/s; writer close p50 {p50:0.00} ms, p99 {p99:0.00} ms");
        var store = cluster.DurableMetadata ? "durable metadata" : "metadata IN MEMORY";
        _table.Add("metadata", new Figure($"open+close pairs, 1 client ({store})", $"{Number(one)}/s"));
        _table.Add("metadata", new Figure($"open+close pairs, 16 clients ({store})", $"{Number(sixteen)}/s",
            $"{sixteen / one:0.0}x 1 client", ">= 4,000/s durable", sixteen >= 4000 && cluster.DurableMetadata ? Verdict.Pass : Verdict.Miss));
        _table.Add("metadata", new Figure("open+close CPU per pair, client + servers (16 clients)",
            string.Create(CultureInfo.InvariantCulture, $"{pairCpu.Client.TotalMicroseconds:0} + {pairCpu.Servers.TotalMicroseconds:0} us"),
            string.Create(CultureInfo.InvariantCulture, $"bound {2e6 / (pairCpu.Client + pairCpu.Servers).TotalMicroseconds:N0}/s on 2 cores")));
        _table.Add("metadata", new Figure("writer close p50 (512 B write, 16 others subscribed)", $"{p50:0.00} ms"));
        _table.Add("metadata", new Figure("writer close p99 (512 B write, 16 others subscribed)", $"{p99:0.00} ms"));
    }

    private async Task MeasureRandomAsync(ProcessCluster cluster, CancellationToken cancellationToken)
    {
        var results = await new RandomIoBenchmark(cluster, settings).RunAsync(cancellationToken);
        foreach (var r in results)
        {
            var perOp = (r.Cpu.Client + r.Cpu.Servers).TotalMicroseconds / Math.Max(1, r.Operations);
            Progress($"{r.What}: {Number(r.OpsPerSecond)}/s, {perOp:0} us CPU per op; cache: {r.Stats}");
            _table.Add("random", new Figure(r.What, $"{Number(r.OpsPerSecond)}/s",
                string.Create(CultureInfo.InvariantCulture,
                    $"{r.Cpu.Client.TotalMicroseconds / Math.Max(1, r.Operations):0} + {r.Cpu.Servers.TotalMicroseconds / Math.Max(1, r.Operations):0} us CPU per op; {r.Stats.ReadHits} read hits, {r.Stats.ReadAheadBlocks} blocks read ahead")));
        }
    }

    private async Task MeasureFanOutAsync(ProcessCluster cluster, CancellationToken cancellationToken)
    {
        var fanOut = new FanOutBenchmark(cluster, settings);
        var perBlock1 = await fanOut.ReadMillisecondsAsync(1, maxCallBytes: 512, cancellationToken);
        var perBlock4 = await fanOut.ReadMillisecondsAsync(4, maxCallBytes: 512, cancellationToken);
        var batched1 = await fanOut.ReadMillisecondsAsync(1, maxCallBytes: MiB, cancellationToken);
        var batched4 = await fanOut.ReadMillisecondsAsync(4, maxCallBytes: MiB, cancellationToken);
        var speedup = perBlock1 / perBlock4;
        Progress($"fan-out: one call per block w=1 {perBlock1:0.0} ms, w=4 {perBlock4:0.0} ms; batched w=1 {batched1:0.0} ms, w=4 {batched4:0.0} ms");
        var what = $"{settings.FanOutBlocks} uncached 512 B blocks, {settings.DelayMs} ms per call";
        _table.Add("fan-out", new Figure($"read {what}, a call per block, w=1", $"{perBlock1:0.0} ms"));
        _table.Add("fan-out", new Figure($"read {what}, a call per block, w=4", $"{perBlock4:0.0} ms",
            $"{speedup:0.00}x speedup", ">= 3.5x", speedup >= 3.5 ? Verdict.Pass : Verdict.Miss));
        _table.Add("fan-out", new Figure("same read, default MaxCallBytes (batched), w=1", $"{batched1:0.0} ms"));
        _table.Add("fan-out", new Figure("same read, default MaxCallBytes (batched), w=4", $"{batched4:0.0} ms", $"{batched1 / batched4:0.00}x"));
    }
}
