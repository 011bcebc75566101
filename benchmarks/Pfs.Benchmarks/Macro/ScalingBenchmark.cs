using Pfs.Benchmarks.Cluster;

namespace Pfs.Benchmarks.Macro;

/// <summary>One width's figures in one repeat of the scaling runs, MB/s, with CPU per kind.</summary>
internal sealed record ScalingResult(int Width, long Bytes,
                                     double WireWrite, double WireRead, CpuSnapshot WireWriteCpu, CpuSnapshot WireReadCpu,
                                     double LibraryWrite, double LibraryRead, CpuSnapshot LibraryWriteCpu, CpuSnapshot LibraryReadCpu,
                                     double ToolPut, double ToolGet, TimeSpan ToolPutCpu, TimeSpan ToolGetCpu,
                                     long? FileServerPeakRss, long? ClientRssGrowth)
{
    /// <summary>The library's read of the same file with read-ahead off (as before it existed), in the same run.</summary>
    public double LibraryReadNoAhead { get; init; }

    public CpuSnapshot LibraryReadNoAheadCpu { get; init; }
}

/// <summary>
/// Sequential write and read of a file striped in 1 MiB blocks at one width, three ways: the bare
/// gRPC client against no-op servers (the wire), the Pfs library (<see cref="SequentialBenchmark"/>),
/// and the <c>pfs</c> tool as a process (<c>pfs put</c> of a local file, <c>pfs get</c> into one).
/// </summary>
internal sealed class ScalingBenchmark(ProcessCluster cluster, BenchSettings settings, ToolRunner tool, string scratch)
{
    private const int MiB = 1024 * 1024;

    private readonly SequentialBenchmark _sequential = new(cluster, settings);
    private int _files;

    public async Task<ScalingResult> RunAsync(int width, long bytes, CancellationToken cancellationToken)
    {
        // The wire: the same bytes through the same shaped ports to servers that store nothing.
        var concurrency = Math.Max(settings.CeilingConcurrency, 4 * width);
        using var wire = new CeilingBenchmark(cluster.WireServers.Take(width).Select(s => s.Address), MiB, concurrency);
        var wirePids = cluster.WireServers.Take(width).Select(s => s.Pid).ToList();
        double wireWrite, wireRead;
        CpuSnapshot wireWriteCpu, wireReadCpu;
        await using (var session = await wire.OpenAsync(cluster, $"wire-{width}-{Interlocked.Increment(ref _files)}", cancellationToken))
        {
            var cpu0 = CpuSnapshot.Take(wirePids);
            wireWrite = await session.WriteAsync(bytes, cancellationToken);
            var cpu1 = CpuSnapshot.Take(wirePids);
            wireRead = await session.ReadAsync(bytes, cancellationToken);
            var cpu2 = CpuSnapshot.Take(wirePids);
            (wireWriteCpu, wireReadCpu) = (cpu1 - cpu0, cpu2 - cpu1);
        }

        var library = await _sequential.RunAsync(width, MiB, bytes, cancellationToken, alsoWithoutReadAhead: true);

        var local = await LocalFileAsync(bytes, cancellationToken);
        var name = $"tool-w{width}-{Interlocked.Increment(ref _files)}";
        var copy = Path.Combine(scratch, name + ".out");
        var put = await tool.RunAsync(["put", local, name, "--stripe-width", $"{width}", "--block-size", "1M", "--force"], cancellationToken);
        var get = await tool.RunAsync(["get", name, copy], cancellationToken);
        await CheckCopyAsync(local, copy, cancellationToken);
        File.Delete(copy);
        await using (var admin = await cluster.ConnectAsync(cancellationToken: cancellationToken))
        {
            await admin.DeleteAsync(name, cancellationToken);
        }

        return new ScalingResult(width, bytes, wireWrite, wireRead, wireWriteCpu, wireReadCpu,
            library.WriteMBps, library.ReadMBps, library.WriteCpu, library.ReadCpu,
            Rate(bytes, put.Wall), Rate(bytes, get.Wall), put.Cpu, get.Cpu,
            library.FileServerPeakRss, library.ClientRssGrowth)
        {
            LibraryReadNoAhead = library.ReadNoAheadMBps ?? 0,
            LibraryReadNoAheadCpu = library.ReadNoAheadCpu ?? default,
        };
    }

    private static double Rate(long bytes, TimeSpan wall) => bytes / wall.TotalSeconds / 1e6;

    // One local source file per size, kept for the whole run (the page cache holds it, as it would
    // a file a user just wrote): every 512-byte slot stamped with its offset, like the library's.
    private async Task<string> LocalFileAsync(long bytes, CancellationToken cancellationToken)
    {
        var path = Path.Combine(scratch, $"source-{bytes}.bin");
        if (File.Exists(path) && new FileInfo(path).Length == bytes)
        {
            return path;
        }

        var chunk = new byte[4 * MiB];
        new Random(11).NextBytes(chunk);
        await using var output = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1, useAsync: true);
        for (long offset = 0; offset < bytes; offset += chunk.Length)
        {
            var count = (int)Math.Min(chunk.Length, bytes - offset);
            for (var at = 0; at + sizeof(long) <= count; at += 512)
            {
                BitConverter.TryWriteBytes(chunk.AsSpan(at), offset + at);
            }

            await output.WriteAsync(chunk.AsMemory(0, count), cancellationToken);
        }

        return path;
    }

    private static async Task CheckCopyAsync(string expected, string actual, CancellationToken cancellationToken)
    {
        await using var left = new FileStream(expected, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, useAsync: true);
        await using var right = new FileStream(actual, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, useAsync: true);
        if (left.Length != right.Length)
        {
            throw new InvalidOperationException($"pfs get wrote {right.Length} bytes, not {left.Length}");
        }

        var a = new byte[4 * MiB];
        var b = new byte[4 * MiB];
        int read;
        long offset = 0;
        while ((read = await left.ReadAtLeastAsync(a, a.Length, throwOnEndOfStream: false, cancellationToken)) > 0)
        {
            await right.ReadExactlyAsync(b.AsMemory(0, read), cancellationToken);
            if (!a.AsSpan(0, read).SequenceEqual(b.AsSpan(0, read)))
            {
                throw new InvalidOperationException($"pfs get wrote different bytes in the 4 MiB at {offset}");
            }

            offset += read;
        }
    }
}

/// <summary>The time <c>pfs stat</c> of one file takes as a process, start to exit.</summary>
internal static class ToolStartup
{
    public static async Task<(double MedianMs, double MinMs, double MaxMs)> StatAsync(ProcessCluster cluster, ToolRunner tool, int runs,
                                                                                    CancellationToken cancellationToken)
    {
        const string Name = "tool-stat";
        await using (var admin = await cluster.ConnectAsync(cancellationToken: cancellationToken))
        {
            await admin.CreateAsync(Name, 1, cancellationToken);
        }

        var times = new List<double>();
        // The first run also warms the page cache with the tool's own files.
        await tool.RunAsync(["stat", Name], cancellationToken);
        for (var i = 0; i < runs; i++)
        {
            var run = await tool.RunAsync(["stat", Name], cancellationToken);
            if (!run.Output.Contains(Name, StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"pfs stat printed no name: {run.Output}");
            }

            times.Add(run.Wall.TotalMilliseconds);
        }

        await using (var admin = await cluster.ConnectAsync(cancellationToken: cancellationToken))
        {
            await admin.DeleteAsync(Name, cancellationToken);
        }

        times.Sort();
        return (times[times.Count / 2], times[0], times[^1]);
    }
}
