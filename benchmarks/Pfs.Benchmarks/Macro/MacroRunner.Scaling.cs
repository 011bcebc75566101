using System.Globalization;
using Pfs.Benchmarks.Cluster;
using Pfs.Benchmarks.Report;

namespace Pfs.Benchmarks.Macro;

/// <summary>
/// The scaling runs: sequential write and read at each width through the wire (bare gRPC, no-op
/// servers), the library and the <c>pfs</c> tool, side by side; the tool's start-up time; and,
/// on the shaped bed, the bed's own check.
/// </summary>
internal sealed partial class MacroRunner
{
    private static readonly int[] ScalingWidths = [1, 2, 4, 8];

    private void AddLinkCheck(LinkCheckResult check, LinkShaper shaper)
    {
        var rate = string.Create(CultureInfo.InvariantCulture, $"{shaper.MegabitsPerSecond} Mbit/s = {shaper.BytesPerSecond / 1e6:0.#} MB/s");
        Progress(string.Create(CultureInfo.InvariantCulture,
            $"bed check (bare TCP, lowest port, % of {rate}): alone {check.AloneToServer * 100:0.0}% to / {check.AloneFromServer * 100:0.0}% from the server; "
            + $"all ports of a group at once {check.AllToServer * 100:0.0}% / {check.AllFromServer * 100:0.0}%"));
        foreach (var (what, value) in new[]
                 {
                     ("each port alone, towards the server", check.AloneToServer),
                     ("each port alone, from the server", check.AloneFromServer),
                     ($"all {shaper.Ports.Count / 2} ports of a group at once, towards the servers", check.AllToServer),
                     ($"all {shaper.Ports.Count / 2} ports of a group at once, from the servers", check.AllFromServer),
                 })
        {
            _table.Add("bed", new Figure($"bare TCP stream, {what} (lowest port)", Percent(value), $"of {rate}", ">= 95% of the link",
                value >= 0.95 ? Verdict.Pass : Verdict.Miss));
        }
    }

    private async Task MeasureScalingAsync(ProcessCluster cluster, ServerBinaries binaries, IReadOnlyList<int> widths, Func<int, long> bytesOf,
                                           LinkShaper? link, CancellationToken cancellationToken)
    {
        var scratch = Path.Combine(Path.GetTempPath(), $"pfs-bench-tool-{Environment.ProcessId}");
        Directory.CreateDirectory(scratch);
        try
        {
            var tool = new ToolRunner(binaries.Cli, cluster.MetaServer.Address);
            var (statMedian, statMin, statMax) = await ToolStartup.StatAsync(cluster, tool, settings.StatRuns, cancellationToken);
            Progress($"pfs stat ({tool.Describe()}): median {statMedian:0} ms, {statMin:0}-{statMax:0} ms over {settings.StatRuns} runs");
            _table.Add("tool", new Figure($"pfs stat of one file, start to exit ({tool.Describe()}, median of {settings.StatRuns})",
                string.Create(CultureInfo.InvariantCulture, $"{statMedian:0} ms"),
                string.Create(CultureInfo.InvariantCulture, $"{statMin:0}-{statMax:0} ms"), "< 150 ms", statMedian < 150 ? Verdict.Pass : Verdict.Miss));

            var scaling = new ScalingBenchmark(cluster, settings, tool, scratch);
            var results = new List<ScalingResult>();
            for (var repeat = 0; repeat < settings.Repeats; repeat++)
            {
                foreach (var width in widths)
                {
                    var r = await scaling.RunAsync(width, bytesOf(width), cancellationToken);
                    results.Add(r);
                    Progress($"#{repeat + 1} w={width} {BenchSettings.Describe(r.Bytes)}: write wire {MBps(r.WireWrite)}, Pfs {MBps(r.LibraryWrite)}, "
                             + $"pfs put {MBps(r.ToolPut)}; read wire {MBps(r.WireRead)}, Pfs {MBps(r.LibraryRead)}, no read-ahead {MBps(r.LibraryReadNoAhead)}, pfs get {MBps(r.ToolGet)}");
                }
            }

            AddScaling(results, widths, link);
        }
        finally
        {
            try
            {
                Directory.Delete(scratch, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private void AddScaling(List<ScalingResult> results, IReadOnlyList<int> widths, LinkShaper? link)
    {
        var rows = new List<string[]>();
        foreach (var width in widths)
        {
            var runs = results.Where(r => r.Width == width).ToList();
            var mib = runs[0].Bytes / (double)MiB;
            double M(Func<ScalingResult, double> f) => Median(runs.Select(f));
            double PerMiB(Func<ScalingResult, TimeSpan> f) => Median(runs.Select(r => f(r).TotalMilliseconds / mib));

            var (wireWrite, wireRead) = (M(r => r.WireWrite), M(r => r.WireRead));
            var (libWrite, libRead) = (M(r => r.LibraryWrite), M(r => r.LibraryRead));
            var (put, get) = (M(r => r.ToolPut), M(r => r.ToolGet));
            var noAhead = M(r => r.LibraryReadNoAhead);
            var (idleWrite, idleRead) = (M(r => r.LibraryWriteCpu.MachineIdleFraction), M(r => r.LibraryReadCpu.MachineIdleFraction));
            var clientNoAhead = PerMiB(r => r.LibraryReadNoAheadCpu.Client);
            var (clientWrite, clientRead) = (PerMiB(r => r.LibraryWriteCpu.Client), PerMiB(r => r.LibraryReadCpu.Client));
            var (serversWrite, serversRead) = (PerMiB(r => r.LibraryWriteCpu.Servers), PerMiB(r => r.LibraryReadCpu.Servers));
            var (toolPut, toolGet) = (PerMiB(r => r.ToolPutCpu), PerMiB(r => r.ToolGetCpu));
            var linkTotal = link is null ? (double?)null : width * link.BytesPerSecond / 1e6;

            // Each figure against the links' total on the bed; unshaped, against the wire of the same width.
            string Cell(double value, double wire) => linkTotal is { } total
                ? string.Create(CultureInfo.InvariantCulture, $"{value:0} ({value / total * 100:0}%)")
                : string.Create(CultureInfo.InvariantCulture, $"{value:0} ({value / wire * 100:0}% of wire)");
            rows.Add(
            [
                width.ToString(CultureInfo.InvariantCulture),
                linkTotal is { } t ? string.Create(CultureInfo.InvariantCulture, $"{t:0}") : "-",
                Cell(wireWrite, wireWrite), Cell(libWrite, wireWrite), Cell(put, wireWrite),
                Cell(wireRead, wireRead), Cell(libRead, wireRead), Cell(noAhead, wireRead), Cell(get, wireRead),
                string.Create(CultureInfo.InvariantCulture, $"{clientWrite:0.00} / {clientRead:0.00}"),
                string.Create(CultureInfo.InvariantCulture, $"{toolPut:0.00} / {toolGet:0.00}"),
                string.Create(CultureInfo.InvariantCulture, $"{serversWrite:0.00} / {serversRead:0.00}"),
                string.Create(CultureInfo.InvariantCulture, $"{Bound(clientWrite + serversWrite):0} / {Bound(clientRead + serversRead):0}"),
                string.Create(CultureInfo.InvariantCulture, $"{idleWrite * 100:0}% / {idleRead * 100:0}%"),
            ]);

            var section = "scaling";
            var cpu = string.Create(CultureInfo.InvariantCulture,
                $"client {clientWrite:0.00} ms/MiB, CPU bound {Bound(clientWrite + serversWrite):0} MB/s, machine {idleWrite * 100:0}% idle");
            var cpuRead = string.Create(CultureInfo.InvariantCulture,
                $"client {clientRead:0.00} ms/MiB, CPU bound {Bound(clientRead + serversRead):0} MB/s, machine {idleRead * 100:0}% idle");
            if (linkTotal is { } total)
            {
                var of = string.Create(CultureInfo.InvariantCulture, $"of {width} x {link!.BytesPerSecond / 1e6:0.#} MB/s");
                _table.Add(section, new Figure($"wire write w={width} (bare gRPC, no-op servers)", MBps(wireWrite), $"{Percent(wireWrite / total)} {of}"));
                _table.Add(section, new Figure($"wire read w={width} (bare gRPC, no-op servers)", MBps(wireRead), $"{Percent(wireRead / total)} {of}"));
                _table.Add(section, new Figure($"Pfs write w={width}, 1 MiB blocks", MBps(libWrite), $"{Percent(libWrite / total)} {of}; {cpu}",
                    ">= 90% of width x link", libWrite / total >= 0.9 ? Verdict.Pass : Verdict.Miss));
                _table.Add(section, new Figure($"Pfs read w={width}, 1 MiB blocks", MBps(libRead), $"{Percent(libRead / total)} {of}; {cpuRead}",
                    ">= 90% of width x link", libRead / total >= 0.9 ? Verdict.Pass : Verdict.Miss));
                _table.Add(section, new Figure($"Pfs read w={width}, 1 MiB blocks, read-ahead off (before)", MBps(noAhead),
                    string.Create(CultureInfo.InvariantCulture, $"{Percent(noAhead / total)} {of}; client {clientNoAhead:0.00} ms/MiB")));
            }
            else
            {
                var detail = $"{width} no-op servers, 1 MiB x {Math.Max(settings.CeilingConcurrency, 4 * width)} in flight";
                _table.Add("wire", new Figure($"bare gRPC write ({detail}, then sync)", MBps(wireWrite), $"{runs.Count} runs"));
                _table.Add("wire", new Figure($"bare gRPC read ({detail})", MBps(wireRead), $"{runs.Count} runs"));
                _table.Add("wire", new Figure($"Pfs write w={width}, 1 MiB blocks, against the wire", MBps(libWrite),
                    $"{Percent(libWrite / wireWrite)} of wire; {cpu}", ">= 50% of wire", libWrite / wireWrite >= 0.5 ? Verdict.Pass : Verdict.Miss));
                _table.Add("wire", new Figure($"Pfs read w={width}, 1 MiB blocks, against the wire", MBps(libRead),
                    $"{Percent(libRead / wireRead)} of wire; {cpuRead}", ">= 50% of wire", libRead / wireRead >= 0.5 ? Verdict.Pass : Verdict.Miss));
                _table.Add("wire", new Figure($"Pfs read w={width}, 1 MiB blocks, read-ahead off (before)", MBps(noAhead),
                    string.Create(CultureInfo.InvariantCulture, $"{Percent(noAhead / wireRead)} of wire; client {clientNoAhead:0.00} ms/MiB")));
            }

            _table.Add("tool", new Figure($"pfs put w={width}, 1 MiB blocks (a process)", MBps(put),
                string.Create(CultureInfo.InvariantCulture, $"{put / libWrite:0.00}x library; tool {toolPut:0.00} ms/MiB"),
                ">= 0.9x library", put / libWrite >= 0.9 ? Verdict.Pass : Verdict.Miss));
            _table.Add("tool", new Figure($"pfs get w={width}, 1 MiB blocks (a process)", MBps(get),
                string.Create(CultureInfo.InvariantCulture, $"{get / libRead:0.00}x library; tool {toolGet:0.00} ms/MiB"),
                ">= 0.9x library", get / libRead >= 0.9 ? Verdict.Pass : Verdict.Miss));
        }

        var fileServerPeak = RssSampler.Max(results.Select(r => r.FileServerPeakRss));
        _table.Add("memory", new Figure($"file server peak RSS during the scaling runs' library writes and reads (largest of {settings.FileServers})",
            Megabytes(fileServerPeak), string.Empty, "< 150 MB", Judge(fileServerPeak is { } peak ? peak < 150_000_000 : null)));

        var header = link is null
            ? "MB/s, and % of the wire at the same width"
            : string.Create(CultureInfo.InvariantCulture, $"MB/s, and % of width x {link.BytesPerSecond / 1e6:0.#} MB/s ({link.MegabitsPerSecond} Mbit/s per server each way)");
        var sizes = string.Join(", ", widths.Select(w => $"w={w} {BenchSettings.Describe(results.First(r => r.Width == w).Bytes)}"));
        _scalingMatrix = writer =>
        {
            writer.WriteLine($"Scaling: sequential write then read, 1 MiB blocks, {BenchSettings.Describe(settings.IoBytes)} calls; {header}; medians of {settings.Repeats} ({sizes})");
            writer.WriteLine();
            WriteMatrix(writer,
            [
                "width", "link MB/s", "wire write", "Pfs write", "pfs put", "wire read", "Pfs read", "Pfs read, no read-ahead", "pfs get",
                "client ms/MiB write / read", "tool ms/MiB put / get", "servers ms/MiB write / read", "CPU bound MB/s write / read",
                "machine idle write / read",
            ], rows);
            writer.WriteLine();
        };
    }

    // 2 cores for everything: 2000 ms of CPU per second over the CPU one MiB costs, in MB/s.
    private static double Bound(double msPerMiB) => msPerMiB <= 0 ? double.PositiveInfinity : 2000 / msPerMiB * 1.048576;

    private static string Percent(double fraction) => string.Create(CultureInfo.InvariantCulture, $"{fraction * 100:0}%");

    private static void WriteMatrix(TextWriter writer, string[] headers, List<string[]> rows)
    {
        var widths = headers.Select((h, c) => rows.Select(r => r[c].Length).Append(h.Length).Max()).ToArray();
        string Line(string[] cells) => "| " + string.Join(" | ", cells.Select((cell, c) => c == 0 ? cell.PadRight(widths[c]) : cell.PadLeft(widths[c]))) + " |";
        writer.WriteLine(Line(headers));
        writer.WriteLine(Line(widths.Select(w => new string('-', w)).ToArray()));
        foreach (var row in rows)
        {
            writer.WriteLine(Line(row));
        }
    }
}
