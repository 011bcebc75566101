using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using System.Runtime.InteropServices;
using Pfs.Benchmarks.Cluster;
using Pfs.Benchmarks.Report;

namespace Pfs.Benchmarks.Macro;

/// <summary>
/// The macro benchmark: starts its own cluster (processes on 127.0.0.1), measures every figure of
/// the performance issue in one run, so each ratio compares figures taken minutes apart on the same
/// machine, and prints them as one table.
/// </summary>
internal sealed partial class MacroRunner(BenchSettings settings, TextWriter output)
{
    private const int MiB = 1024 * 1024;

    private readonly ResultTable _table = new();
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private Action<TextWriter>? _scalingMatrix;

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        WriteHeader();
        var binaries = await ServerBinaries.LocateAsync(settings.Native, output, cancellationToken);
        Progress($"file server: {ServerBinaries.Describe(binaries.FileServer)}; pfs tool: {ServerBinaries.Describe(binaries.Cli)}");
        var metadataStore = "not used";
        if (settings.LinkMbit is { } mbit)
        {
            metadataStore = await RunShapedAsync(binaries, mbit, cancellationToken);
        }
        else
        {
            metadataStore = await RunUnshapedAsync(binaries, cancellationToken);
        }

        output.WriteLine();
        output.WriteLine($"Pfs benchmark results ({settings.Mode}; metadata {metadataStore}; file server {ServerBinaries.Describe(binaries.FileServer)}; "
                         + $"pfs tool {ServerBinaries.Describe(binaries.Cli)}; {_clock.Elapsed.TotalSeconds:0} s; load average {LoadAverage()})");
        output.WriteLine();
        _scalingMatrix?.Invoke(output);
        _table.Write(output);
        output.WriteLine();
        output.WriteLine($"{_table.Misses} target(s) missed, {_table.Unmeasured} not measured.");
        return 0;
    }

    private async Task<string> RunUnshapedAsync(ServerBinaries binaries, CancellationToken cancellationToken)
    {
        var metadataStore = "not used";
        if (settings.Runs("throughput") || settings.Runs("metadata") || settings.Runs("scaling") || settings.Runs("random"))
        {
            await using var cluster = await StartClusterAsync(binaries, delayMs: 0, "main", cancellationToken);
            metadataStore = cluster.MetadataStore;
            Progress($"cluster up: {settings.FileServers} file servers + metadata server ({metadataStore})");
            if (settings.Runs("throughput"))
            {
                await MeasureThroughputAsync(cluster, cancellationToken);
            }

            if (settings.Runs("scaling"))
            {
                await cluster.StartWireServersAsync(binaries, settings.FileServers, ports: null, cancellationToken);
                await MeasureScalingAsync(cluster, binaries, [settings.FileServers], _ => settings.FileBytes, link: null, cancellationToken);
            }

            if (settings.Runs("random"))
            {
                await MeasureRandomAsync(cluster, cancellationToken);
            }

            if (settings.Runs("metadata"))
            {
                await MeasureMetadataAsync(cluster, cancellationToken);
            }
        }

        if (settings.Only.Contains("checksums"))
        {
            // Only when asked: the same sequential runs with end-to-end checksums on and off.
            await using var cluster = await StartClusterAsync(binaries, delayMs: 0, "checksums", cancellationToken);
            metadataStore = cluster.MetadataStore;
            await MeasureChecksumsAsync(cluster, cancellationToken);
        }

        if (settings.Only.Contains("namespace"))
        {
            // Only when asked: it fills a directory with a million entries (--ns-entries).
            await using var cluster = await StartClusterAsync(binaries, delayMs: 0, "namespace", cancellationToken);
            metadataStore = cluster.MetadataStore;
            await MeasureNamespaceAsync(cluster, binaries, cancellationToken);
        }

        if (settings.Only.Contains("tree"))
        {
            // Only when asked: the tool's tree commands with one file at a time and several at once.
            await using var cluster = await StartClusterAsync(binaries, delayMs: 0, "tree", cancellationToken);
            metadataStore = cluster.MetadataStore;
            await MeasureTreeAsync(cluster, binaries, cancellationToken);
        }

        if (settings.Only.Contains("smallfiles"))
        {
            // Only when asked: one small file at a time through the library, each step timed.
            await using var cluster = await StartClusterAsync(binaries, delayMs: 0, "smallfiles", cancellationToken);
            metadataStore = cluster.MetadataStore;
            await MeasureSmallFilesAsync(cluster, cancellationToken);
        }

        if (settings.Only.Contains("mount") || (settings.Only.Count == 0 && settings.Mode != "smoke"))
        {
            await using var cluster = await StartClusterAsync(binaries, delayMs: 0, "mount", cancellationToken);
            Progress($"mount cluster up: {settings.FileServers} file servers");
            await MeasureMountAsync(cluster, cancellationToken);
        }

        if (settings.Only.Contains("redundancy") || (settings.Only.Count == 0 && settings.Mode != "smoke"))
        {
            // Its own cluster: a 4+2 file needs 6 file servers, and one of them is killed, emptied and restarted.
            // A plain --smoke run leaves it out: the smoke test runs it on its own (--smoke --only redundancy).
            await using var cluster = await StartClusterAsync(binaries, delayMs: 0, "redundancy", cancellationToken,
                Math.Max(settings.FileServers, DataBlocks + ParityBlocks));
            metadataStore = cluster.MetadataStore;
            Progress($"redundancy cluster up: {cluster.FileServers.Count} file servers");
            await MeasureRedundancyAsync(cluster, cancellationToken);
        }

        if (settings.Runs("fanout"))
        {
            await using var delayed = await StartClusterAsync(binaries, settings.DelayMs, "fanout", cancellationToken);
            Progress($"fan-out cluster up: file servers with --delay-ms {settings.DelayMs}");
            await MeasureFanOutAsync(delayed, cancellationToken);
        }

        return metadataStore;
    }

    // The shaped test bed: the links first (refused if lo already has a qdisc), checked with bare
    // TCP before any server listens on them; then the cluster on those ports, and the scaling runs.
    // The shaping comes off lo on every way out: the using below, and the shaper's process-exit hook.
    private async Task<string> RunShapedAsync(ServerBinaries binaries, int mbit, CancellationToken cancellationToken)
    {
        var ports = ServerProcess.ShapeablePorts(2 * settings.FileServers);
        var fileServerPorts = ports.Take(settings.FileServers).ToList();
        var wirePorts = ports.Skip(settings.FileServers).ToList();
        using var shaper = LinkShaper.Install(mbit, ports);
        Progress($"lo shaped: {ports.Count} ports at {mbit} Mbit/s ({shaper.BytesPerSecond / 1e6:0.#} MB/s) each way; checking with bare TCP ...");
        var alone = settings.Mode == "smoke" ? TimeSpan.FromSeconds(0.5) : TimeSpan.FromSeconds(0.8);
        var check = await LinkCheck.RunAsync([fileServerPorts, wirePorts], shaper.BytesPerSecond, alone, alone * 2, cancellationToken);
        AddLinkCheck(check, shaper);

        await using var cluster = await ProcessCluster.StartAsync(binaries, settings.FileServers, 0, "link", output, cancellationToken,
            settings.FileServerEnvironment, fileServerPorts);
        await cluster.StartWireServersAsync(binaries, settings.FileServers, wirePorts, cancellationToken);
        Progress($"cluster up: {settings.FileServers} file servers and {settings.FileServers} no-op servers on shaped ports ({cluster.MetadataStore})");
        await MeasureScalingAsync(cluster, binaries, ScalingWidths, width => width * settings.ScalingBytesPerServer, shaper, cancellationToken);
        return cluster.MetadataStore;
    }

    private async Task<ProcessCluster> StartClusterAsync(ServerBinaries binaries, int delayMs, string label, CancellationToken cancellationToken,
                                                         int? fileServers = null)
    {
        // A port picked free can be taken by someone else before the server binds it: try again.
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return await ProcessCluster.StartAsync(binaries, fileServers ?? settings.FileServers, delayMs, label, output, cancellationToken,
                    settings.FileServerEnvironment);
            }
            catch (InvalidOperationException ex) when (attempt < 3 && ex.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
            {
                Progress("a port was taken meanwhile; starting the cluster again");
            }
        }
    }

    private void WriteHeader()
    {
        output.WriteLine($"Pfs benchmark, mode {settings.Mode}: sequential file {BenchSettings.Describe(settings.FileBytes)}, "
                         + $"I/O calls of {BenchSettings.Describe(settings.IoBytes)}, {settings.FileServers} file servers"
                         + (settings.LinkMbit is { } mbit ? $", each on a shaped link of {mbit} Mbit/s each way (scaling runs only)" : string.Empty));
        output.WriteLine($"machine: {Environment.ProcessorCount} cores, {TotalMemoryGiB():0.#} GiB memory, {RuntimeInformation.OSDescription}, "
                         + $".NET {Environment.Version}, server GC {GCSettings.IsServerGC}");
    }

    private void Progress(string message) =>
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"[{_clock.Elapsed.TotalSeconds,6:0.0}s] {message}"));

    private static double TotalMemoryGiB()
    {
        try
        {
            var line = File.ReadLines("/proc/meminfo").First(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
            return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) / 1024.0 / 1024.0;
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or UnauthorizedAccessException)
        {
            return GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (1024.0 * 1024 * 1024);
        }
    }

    private static string MBps(double value) => string.Create(CultureInfo.InvariantCulture, $"{value:0} MB/s");

    private static string Megabytes(long? bytes) =>
        bytes is { } value ? string.Create(CultureInfo.InvariantCulture, $"{value / 1e6:0} MB") : Figure.NotMeasured;

    private static string Number(double value, string format = "N0") => value.ToString(format, CultureInfo.InvariantCulture);

    private static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }
}
