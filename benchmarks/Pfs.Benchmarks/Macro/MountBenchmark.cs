using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Pfs.Benchmarks.Cluster;
using Pfs.Mount;

namespace Pfs.Benchmarks.Macro;

/// <summary>The figures of <c>pfs mount</c> (issue 12), taken with ordinary programs (dd, fio, python3) through a mount of the cluster.</summary>
internal sealed record MountResult(double WriteMBps, double ColdReadMBps, double WarmReadMBps, double? WarmIops, double? ColdIops,
                                   double CreatesPerSecond, uint MaxWrite, long? Readahead, bool CachesDropped);

/// <summary>
/// Mounts the benchmark cluster in this process (as <c>pfs mount</c> does) and measures it from the
/// outside: <c>dd bs=1M conv=fsync</c> write, a cold <c>dd</c> read after dropping the page cache
/// (<c>/proc/sys/vm/drop_caches</c>, root only), a warm re-read, fio 4 KiB random-read IOPS on a
/// warm and a cold file, and small-file creates.
/// </summary>
internal sealed class MountBenchmark(ProcessCluster cluster, BenchSettings settings)
{
    public const int BlockSize = 256 * 1024;
    private const int MiB = 1024 * 1024;

    public async Task<MountResult> RunAsync(long bytes, int smallFiles, CancellationToken cancellationToken)
    {
        var root = Directory.CreateTempSubdirectory("pfs-bench-mount-").FullName;
        var mount = await PfsMount.MountAsync(root, new PfsMountOptions { MetaServer = cluster.MetaServer.Address, BlockSize = BlockSize }, cancellationToken: cancellationToken);
        try
        {
            var dir = Path.Combine(root, "bench-" + Guid.NewGuid().ToString("N")[..8]);
            Directory.CreateDirectory(dir);
            var file = Path.Combine(dir, "seq");
            var count = (bytes / MiB).ToString(CultureInfo.InvariantCulture);
            var write = await TimedAsync("dd", ["if=/dev/zero", $"of={file}", "bs=1M", $"count={count}", "conv=fsync"], cancellationToken);
            var dropped = DropCaches();
            var cold = await TimedAsync("dd", [$"if={file}", "of=/dev/null", "bs=1M"], cancellationToken);
            var warm = await TimedAsync("dd", [$"if={file}", "of=/dev/null", "bs=1M"], cancellationToken);

            double? warmIops = null, coldIops = null;
            if (HasProgram("fio"))
            {
                var random = Path.Combine(dir, "random");
                var size = $"{Math.Min(bytes, 64L * MiB) / MiB}M";
                await RunAsync("fio", ["--name=lay", $"--filename={random}", $"--size={size}", "--rw=write", "--bs=1M", "--ioengine=psync"], cancellationToken);
                await RunAsync("cat", [random], cancellationToken, discard: true);
                warmIops = await FioIopsAsync(random, size, invalidate: false, cancellationToken);
                coldIops = DropCaches() ? await FioIopsAsync(random, size, invalidate: true, cancellationToken) : null;
            }

            var creates = await CreatesPerSecondAsync(Path.Combine(dir, "small"), smallFiles, cancellationToken);
            return new MountResult(bytes / 1e6 / write, bytes / 1e6 / cold, bytes / 1e6 / warm, warmIops, coldIops, creates,
                mount.MaxWrite, mount.Readahead, dropped);
        }
        finally
        {
            await mount.DisposeAsync();
            try
            {
                Directory.Delete(root);
            }
            catch (IOException)
            {
                // A mountpoint the kernel still held; the OS's temp cleanup takes it.
            }
        }
    }

    private async Task<double?> FioIopsAsync(string file, string size, bool invalidate, CancellationToken cancellationToken)
    {
        var seconds = settings.Mode == "smoke" ? "1" : "5";
        var output = await RunAsync("fio", ["--name=rand", $"--filename={file}", $"--size={size}", "--rw=randread", "--bs=4k", "--ioengine=psync",
            $"--invalidate={(invalidate ? 1 : 0)}", $"--runtime={seconds}", "--time_based", "--output-format=json"], cancellationToken);
        using var json = JsonDocument.Parse(output[output.IndexOf('{', StringComparison.Ordinal)..]);
        return json.RootElement.GetProperty("jobs")[0].GetProperty("read").GetProperty("iops").GetDouble();
    }

    private static async Task<double> CreatesPerSecondAsync(string dir, int files, CancellationToken cancellationToken)
    {
        var script = "import os, sys\nd = sys.argv[1]\nos.mkdir(d)\nfor i in range(int(sys.argv[2])):\n"
                     + "    with open(os.path.join(d, 'f%d' % i), 'wb') as f: f.write(b'x' * 100)\n";
        var seconds = await TimedAsync("python3", ["-c", script, dir, files.ToString(CultureInfo.InvariantCulture)], cancellationToken);
        return files / seconds;
    }

    private static bool DropCaches()
    {
        try
        {
            File.WriteAllText("/proc/sys/vm/drop_caches", "3");
            return true;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    private static bool HasProgram(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':').Any(dir => File.Exists(Path.Combine(dir, name)));

    private static async Task<double> TimedAsync(string program, string[] args, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        await RunAsync(program, args, cancellationToken, discard: true);
        return Stopwatch.GetElapsedTime(started).TotalSeconds;
    }

    private static async Task<string> RunAsync(string program, string[] args, CancellationToken cancellationToken, bool discard = false)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = discard ? Task.FromResult(string.Empty) : process.StandardOutput.ReadToEndAsync(cancellationToken);
        if (discard)
        {
            _ = process.StandardOutput.BaseStream.CopyToAsync(Stream.Null, cancellationToken);
        }

        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} {string.Join(' ', args)} exited {process.ExitCode}: {await error}");
        }

        return await output;
    }
}
