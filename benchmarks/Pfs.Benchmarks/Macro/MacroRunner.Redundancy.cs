using System.Diagnostics;
using System.Globalization;
using Pfs.Benchmarks.Cluster;
using Pfs.Benchmarks.Report;
using Pfs.Client;
using Pfs.Erasure.Benchmarks;

namespace Pfs.Benchmarks.Macro;

// Issue 13's figures, side by side on one cluster of 6 file-server processes: a 4+2 file against a
// width-4 M = 0 file of the same bytes (write, healthy read), the 4+2 file read with one of its
// servers SIGKILLed, the repair of that server after its data directory was emptied, and the codec
// alone (the codec benchmark's own timing) beside its plain table-lookup reference and ISA-L.
internal sealed partial class MacroRunner
{
    private const int DataBlocks = 4;
    private const int ParityBlocks = 2;

    // A hang guard for the whole phase, not a figure: a full run takes 1-2 minutes here.
    private static readonly TimeSpan RedundancyPhaseLimit = TimeSpan.FromMinutes(15);
    private static readonly TimeSpan EventTimeout = TimeSpan.FromSeconds(30);

    // The codec rows: encode first, then decode with two data shards lost.
    private static readonly bool[] EncodeThenDecode = [false, true];

    private async Task MeasureRedundancyAsync(ProcessCluster cluster, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(RedundancyPhaseLimit);
        try
        {
            await MeasureRedundancyCoreAsync(cluster, limit.Token);
        }
        catch (OperationCanceledException) when (limit.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"the redundancy phase did not finish within {RedundancyPhaseLimit.TotalMinutes:0} minutes");
        }
    }

    private async Task MeasureRedundancyCoreAsync(ProcessCluster cluster, CancellationToken cancellationToken)
    {
        var bytes = settings.RedundancyBytes;
        var mib = bytes / (double)MiB;
        var sequential = new SequentialBenchmark(cluster, settings);
        using var traffic = new ServerTraffic();
        var plain = new PfsCreateOptions { StripeWidth = DataBlocks, BlockSize = settings.RedundancyBlockSize };
        var coded = plain with { ParityBlocks = ParityBlocks };
        await using var admin = await cluster.ConnectAsync(cancellationToken: cancellationToken);

        // Warm up: JIT, connections, the servers' buffer pools, for both kinds of file.
        var warmBytes = Math.Min(bytes, 16L * MiB);
        foreach (var options in new[] { plain, coded })
        {
            var warm = $"redundancy-warm-{options.ParityBlocks}";
            await admin.CreateAsync(warm, options, cancellationToken);
            await sequential.WriteAsync(warm, warmBytes, cancellationToken);
            await sequential.ReadAsync(warm, warmBytes, configure: null, cancellationToken);
            await admin.DeleteAsync(warm, cancellationToken);
        }

        // Each repeat writes and reads both files, taking turns at going first, so that load from
        // elsewhere that comes and goes hits both sides of a ratio alike; the ratios are per repeat.
        var runs = new List<RedundancyRun>();
        var codedName = string.Empty;
        for (var repeat = 0; repeat < settings.Repeats; repeat++)
        {
            var plainName = $"redundancy-m0-{repeat}";
            codedName = $"redundancy-4p2-{repeat}";
            await admin.CreateAsync(plainName, plain, cancellationToken);
            await admin.CreateAsync(codedName, coded, cancellationToken);
            var codedFirst = repeat % 2 == 1;
            var (plainWrite, codedWrite) = await InTurnAsync(codedFirst,
                () => OpAsync(traffic, bytes, () => sequential.WriteAsync(plainName, bytes, cancellationToken)),
                () => OpAsync(traffic, bytes, () => sequential.WriteAsync(codedName, bytes, cancellationToken)));
            var (plainRead, codedRead) = await InTurnAsync(codedFirst,
                () => OpAsync(traffic, bytes, () => sequential.ReadAsync(plainName, bytes, configure: null, cancellationToken)),
                () => OpAsync(traffic, bytes, () => sequential.ReadAsync(codedName, bytes, configure: null, cancellationToken)));
            var run = new RedundancyRun(plainWrite, codedWrite, plainRead, codedRead);
            runs.Add(run);
            Progress($"#{repeat + 1} 4+2 vs M=0: write {MBps(codedWrite.MBps)} vs {MBps(plainWrite.MBps)} ({run.WriteRatio * 100:0}%; "
                     + $"sent {codedWrite.Sent:0.00}x vs {plainWrite.Sent:0.00}x the file), "
                     + $"read {MBps(codedRead.MBps)} vs {MBps(plainRead.MBps)} ({run.ReadRatio * 100:0}%; fetched {codedRead.Fetched:0.00}x vs {plainRead.Fetched:0.00}x)");
            await admin.DeleteAsync(plainName, cancellationToken);
            if (repeat < settings.Repeats - 1)
            {
                await admin.DeleteAsync(codedName, cancellationToken);
            }
        }

        var healthyRead = Median(runs.Select(r => r.CodedRead.MBps));
        var (degraded, repair) = await MeasureLostServerAsync(cluster, sequential, traffic, admin, codedName, cancellationToken);
        Progress($"4+2 with a server down: reads {string.Join(", ", degraded.Select(d => string.Create(CultureInfo.InvariantCulture, $"{d.MBps:0} MB/s ({d.Fetched:0.00}x fetched)")))} "
                 + $"(healthy median {MBps(healthyRead)}); repair rebuilt {Number(repair.BytesRebuilt / 1e6, "0")} MB in {repair.Op.Seconds:0.00} s "
                 + $"({repair.Op.Fetched:0.00}x the file fetched, {repair.Op.Sent:0.00}x sent); "
                 + $"read with two other servers down after it {MBps(repair.VerifiedRead.MBps)}, every stamp right");

        var codec = EncodeThenDecode.Select(decode =>
            (Decode: decode, Figures: CodecFigures.Measure(decode, DataBlocks, ParityBlocks, settings.RedundancyBlockSize, settings.CodecTrial, settings.CodecTrials)))
            .ToList();
        AddRedundancyRows(runs, degraded, repair, codec, healthyRead);

        AddCpu("M=0 write w=4, 1 MiB blocks", runs.Select(r => r.PlainWrite.Cpu), mib);
        AddCpu("4+2 write, 1 MiB blocks", runs.Select(r => r.CodedWrite.Cpu), mib);
        AddCpu("M=0 read w=4, 1 MiB blocks", runs.Select(r => r.PlainRead.Cpu), mib);
        AddCpu("4+2 read, healthy", runs.Select(r => r.CodedRead.Cpu), mib);
        AddCpu("4+2 read, one server down", degraded.Select(d => d.Cpu), mib);
        AddCpu("4+2 repair of an emptied server, per MiB of file", [repair.Op.Cpu], mib);
    }

    // Kills a server of the 4+2 file and reads the file through clients connected before (a fresh
    // client's warm-up read would need every server); then empties that server's data directory,
    // starts it again, and times the repair; then proves the rebuilt shards right by reading the
    // file with two other servers killed, so that every stripe needs the rebuilt server's shard.
    private async Task<(List<Op> Degraded, RepairRun Repair)> MeasureLostServerAsync(
        ProcessCluster cluster, SequentialBenchmark sequential, ServerTraffic traffic, PfsClient admin, string name, CancellationToken cancellationToken)
    {
        var bytes = settings.RedundancyBytes;
        var layout = await admin.GetLayoutAsync(name, cancellationToken);
        // Position 0 holds data block 0: the server of the file's first data blocks.
        var victim = cluster.FileServerIndex(layout.Servers[0]);
        if (victim < 0)
        {
            throw new InvalidOperationException($"'{name}' is on {layout.Servers[0]}, which is none of the cluster's file servers");
        }

        var others = Enumerable.Range(1, 2).Select(i => (victim + i) % cluster.FileServers.Count).ToList();
        // Without its identity confirmed, the metadata server would take the emptied server for a new one.
        var port = cluster.FileServers[victim].Port;
        await WaitUntilAsync(() => Task.FromResult(cluster.MetaServer.LogContains($"127.0.0.1:{port} identity confirmed")),
            $"the metadata server has confirmed the identity of file server {victim}", cancellationToken);

        var readers = new List<PfsClient>();
        try
        {
            for (var i = 0; i < settings.Repeats + 2; i++)
            {
                readers.Add(await cluster.ConnectAsync(cancellationToken: cancellationToken));
            }

            var (repairer, verifier) = (readers[^2], readers[^1]);
            cluster.KillFileServer(victim);
            Progress($"file server {victim} (position 0 of '{name}') SIGKILLed");
            var degraded = new List<Op>();
            for (var i = 0; i < settings.Repeats; i++)
            {
                var reader = readers[i];
                degraded.Add(await OpAsync(traffic, bytes, () => sequential.ReadAsync(reader, name, bytes, cancellationToken)));
            }

            Directory.Delete(cluster.FileServerDataDirectory(victim), recursive: true);
            await cluster.RestartFileServerAsync(victim, cancellationToken);
            await WaitUntilAsync(async () => (await admin.StatAsync(name, cancellationToken)).IsDegraded,
                $"the metadata server notices that file server {victim} came back empty and marks '{name}' degraded", cancellationToken);
            var stale = (await admin.StatAsync(name, cancellationToken)).StalePositions;

            PfsRepairReport report = null!;
            var repair = await OpAsync(traffic, bytes, async () =>
            {
                var pids = cluster.ServerPids;
                var cpu = CpuSnapshot.Take(pids);
                var started = Stopwatch.GetTimestamp();
                report = await repairer.RepairAsync(cancellationToken: cancellationToken);
                return (CeilingBenchmark.MegabytesPerSecond(bytes, started), CpuSnapshot.Take(pids) - cpu);
            });
            // Files without parity that had blocks on the emptied server (the warm-up file, the M = 0 comparison) lost
            // them for good: the repair names them, and that is right. Only the measured file must come back whole.
            var failures = new List<PfsRepairFailure>();
            foreach (var failure in report.Failures)
            {
                var parity = failure.Name == name ? 1 : (await admin.StatAsync(failure.Name, cancellationToken)).ParityBlocks;
                if (parity > 0)
                {
                    failures.Add(failure);
                }
                else
                {
                    Progress($"'{failure.Name}' has no parity and lost its blocks with file server {victim}, as it should: {failure.Reason}");
                }
            }

            if (failures.Count > 0 || report.FilesRepaired < 1 || (await admin.StatAsync(name, cancellationToken)).IsDegraded)
            {
                throw new InvalidOperationException($"the repair left '{name}' degraded: {report.FilesRepaired} files repaired, "
                                                    + $"failures: {string.Join("; ", failures.Select(f => $"{f.Name}: {f.Reason}"))}");
            }

            foreach (var other in others)
            {
                cluster.KillFileServer(other);
            }

            var verified = await sequential.ReadAsync(verifier, name, bytes, cancellationToken);
            return (degraded, new RepairRun(report.BytesRebuilt, repair, verified, string.Join(' ', stale)));
        }
        finally
        {
            foreach (var reader in readers)
            {
                await reader.DisposeAsync();
            }
        }
    }

    private void AddRedundancyRows(List<RedundancyRun> runs, List<Op> degraded, RepairRun repair,
                                   List<(bool Decode, CodecFigures.Result Figures)> codec, double healthyRead)
    {
        var file = $"{BenchSettings.Describe(settings.RedundancyBytes)}, {BenchSettings.Describe(settings.RedundancyBlockSize)} blocks";
        var writeRatio = Median(runs.Select(r => r.WriteRatio));
        _table.Add("redundancy", new Figure($"sequential write, 4+2 / w=4 M=0 ({file})",
            $"{MBps(Median(runs.Select(r => r.CodedWrite.MBps)))} / {MBps(Median(runs.Select(r => r.PlainWrite.MBps)))}",
            string.Create(CultureInfo.InvariantCulture, $"{Percent(writeRatio)}; sent {Median(runs.Select(r => r.CodedWrite.Sent)):0.00}x / {Median(runs.Select(r => r.PlainWrite.Sent)):0.00}x the file"),
            ">= 60% (67% ideal)", writeRatio >= 0.60 ? Verdict.Pass : Verdict.Miss));
        var readRatio = Median(runs.Select(r => r.ReadRatio));
        _table.Add("redundancy", new Figure("sequential read, healthy, 4+2 / w=4 M=0",
            $"{MBps(healthyRead)} / {MBps(Median(runs.Select(r => r.PlainRead.MBps)))}",
            string.Create(CultureInfo.InvariantCulture, $"{Percent(readRatio)}; fetched {Median(runs.Select(r => r.CodedRead.Fetched)):0.00}x / {Median(runs.Select(r => r.PlainRead.Fetched)):0.00}x the file"),
            "the same (>= 90%)", readRatio >= 0.90 ? Verdict.Pass : Verdict.Miss));
        var degradedRead = Median(degraded.Select(d => d.MBps));
        _table.Add("redundancy", new Figure("sequential read of the 4+2 file, one data server SIGKILLed / healthy",
            $"{MBps(degradedRead)} / {MBps(healthyRead)}",
            string.Create(CultureInfo.InvariantCulture, $"{Percent(degradedRead / healthyRead)}; fetched {Median(degraded.Select(d => d.Fetched)):0.00}x the file"), ">= 50%",
            degradedRead / healthyRead >= 0.50 ? Verdict.Pass : Verdict.Miss));
        var repairRate = repair.Op.MBps;
        _table.Add("redundancy", new Figure($"repair of an emptied server (position {repair.Stale}): file bytes made whole / healthy read",
            $"{MBps(repairRate)} / {MBps(healthyRead)}",
            string.Create(CultureInfo.InvariantCulture,
                $"{repairRate / healthyRead * 100:0}%; rebuilt {repair.BytesRebuilt / 1e6 / repair.Op.Seconds:0} MB/s ({repair.BytesRebuilt / 1e6:0} MB in {repair.Op.Seconds:0.00} s); fetched {repair.Op.Fetched:0.00}x the file"),
            ">= 50%", repairRate / healthyRead >= 0.50 ? Verdict.Pass : Verdict.Miss));
        _table.Add("redundancy", new Figure("sequential read after the repair, two other servers SIGKILLed (every stamp checked)",
            MBps(repair.VerifiedRead.MBps)));
        foreach (var (decode, figures) in codec)
        {
            var what = decode ? "decode, 2 data lost" : "encode";
            var isal = figures.IsaL is { } library
                ? string.Create(CultureInfo.InvariantCulture, $"; {figures.Codec / library:0.0}x ISA-L ({library:0.00})")
                : "; ISA-L not installed";
            _table.Add("redundancy", new Figure(
                $"codec {what}, 4+2, {BenchSettings.Describe(settings.RedundancyBlockSize)} shards, {figures.Kernel}, GB/s per core"
                + (figures.Clock.StartsWith("CPU", StringComparison.Ordinal) ? string.Empty : $" ({figures.Clock})"),
                figures.Codec is { } gbps ? string.Create(CultureInfo.InvariantCulture, $"{gbps:0.00} GB/s") : "WRONG OUTPUT",
                string.Create(CultureInfo.InvariantCulture, $"{figures.Codec / figures.Plain:0.0}x plain ({figures.Plain:0.00}){isal}"),
                string.Empty, figures.Codec is null || figures.Plain is null ? Verdict.Miss : Verdict.Info));
        }
    }

    // Runs a then b, or b then a; returns (a's, b's).
    private static async Task<(T A, T B)> InTurnAsync<T>(bool bFirst, Func<Task<T>> a, Func<Task<T>> b)
    {
        if (bFirst)
        {
            var second = await b();
            return (await a(), second);
        }

        var first = await a();
        return (first, await b());
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition, string what, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.StartNew();
        while (!await condition())
        {
            if (deadline.Elapsed > EventTimeout)
            {
                throw new TimeoutException($"waited {EventTimeout.TotalSeconds:0} s in vain until {what}");
            }

            await Task.Delay(100, cancellationToken);
        }
    }

    // Times one operation on `bytes` of file, and counts the bytes it moved to and from the file servers.
    private static async Task<Op> OpAsync(ServerTraffic traffic, long bytes, Func<Task<(double MBps, CpuSnapshot Cpu)>> operation)
    {
        var before = traffic.Totals;
        var (rate, cpu) = await operation();
        var after = traffic.Totals;
        return new Op(bytes, rate, cpu, after.Read - before.Read, after.Written - before.Written);
    }

    /// <summary>One timed operation on a file of <paramref name="Bytes"/>, and the bytes it read from and wrote to file servers.</summary>
    private readonly record struct Op(long Bytes, double MBps, CpuSnapshot Cpu, long ServerRead, long ServerWritten)
    {
        public double Seconds => Bytes / MBps / 1e6;

        /// <summary>Bytes read from the file servers per byte of file.</summary>
        public double Fetched => ServerRead / (double)Bytes;

        /// <summary>Bytes written to the file servers per byte of file.</summary>
        public double Sent => ServerWritten / (double)Bytes;
    }

    private sealed record RedundancyRun(Op PlainWrite, Op CodedWrite, Op PlainRead, Op CodedRead)
    {
        public double WriteRatio => CodedWrite.MBps / PlainWrite.MBps;

        public double ReadRatio => CodedRead.MBps / PlainRead.MBps;
    }

    private sealed record RepairRun(long BytesRebuilt, Op Op, (double MBps, CpuSnapshot Cpu) VerifiedRead, string Stale);
}
