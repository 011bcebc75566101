using System.Diagnostics;
using System.Globalization;
using Pfs.Fuse.Tests.Support;
using Xunit.Abstractions;

namespace Pfs.Fuse.Tests.Mounts;

/// <summary>
/// dd through the in-memory file system, so the cost of the binding itself is known. Prints the
/// figures (run with --logger "console;verbosity=detailed" to see them); asserts only what dd did.
/// </summary>
public sealed class ThroughputTests(ITestOutputHelper output)
{
    private const int Mebibytes = 256;

    [FuseFact]
    public async Task SequentialOneMebibyteWritesAndReadsThroughDd()
    {
        await using var mounted = await MountedFileSystem.StartAsync();
        var path = mounted.PathOf("dd.bin");

        var write = await TimeAsync("dd", "if=/dev/zero", $"of={path}", "bs=1M", $"count={Mebibytes}", "conv=fsync");
        var node = mounted.Fs.NodeAt("dd.bin");
        var writes = mounted.Fs.Io.Where(r => r.Operation == "write" && r.NodeId == node).ToList();
        // Again over the same bytes: without the file system's own cost of allocating a new file.
        var overwrite = await TimeAsync("dd", "if=/dev/zero", $"of={path}", "bs=1M", $"count={Mebibytes}", "conv=notrunc,fsync");
        // Cold: drop the whole file from the page cache, then read it back.
        Assert.True(mounted.Mount.NotifyInvalidateInode(node, 0, 0));
        var before = mounted.Fs.Io.Count(r => r.Operation == "read" && r.NodeId == node);
        var cold = await TimeAsync("dd", $"if={path}", "of=/dev/null", "bs=1M");
        var reads = mounted.Fs.Io.Where(r => r.Operation == "read" && r.NodeId == node).Skip(before).ToList();
        var warm = await TimeAsync("dd", $"if={path}", "of=/dev/null", "bs=1M");

        output.WriteLine($"kernel FUSE 7.{mounted.Mount.Kernel.KernelMinor}, using 7.{mounted.Mount.Kernel.Minor}; max_write {mounted.Mount.Kernel.MaxWrite}, readahead {mounted.Mount.Readahead?.ToString(CultureInfo.InvariantCulture) ?? "unknown"}; load {File.ReadAllText("/proc/loadavg").Trim()}");
        output.WriteLine($"write {Mebibytes} MiB bs=1M conv=fsync: {Rate(write)} ({writes.Count} WRITE requests, largest {writes.Max(w => w.Size)} bytes)");
        output.WriteLine($"overwrite {Mebibytes} MiB bs=1M conv=notrunc,fsync: {Rate(overwrite)}");
        output.WriteLine($"cold read {Mebibytes} MiB bs=1M: {Rate(cold)} ({reads.Count} READ requests, largest {(reads.Count == 0 ? 0 : reads.Max(r => r.Size))} bytes)");
        output.WriteLine($"warm read {Mebibytes} MiB bs=1M: {Rate(warm)}");

        Assert.Equal(Mebibytes, writes.Count);
        Assert.All(writes, w => Assert.Equal(1 << 20, w.Size));
        Assert.Equal((long)Mebibytes << 20, new FileInfo(path).Length);
        Assert.Equal((long)Mebibytes << 20, reads.Sum(r => (long)r.Size));
        if (mounted.Mount.Readahead >= 1 << 20)
            Assert.Equal(1 << 20, reads.Max(r => r.Size));
    }

    /// <summary>Wall time, and the CPU time this process (the file system server) spent meanwhile.</summary>
    private static async Task<(TimeSpan Wall, TimeSpan ServerCpu)> TimeAsync(string program, params string[] arguments)
    {
        using var self = Process.GetCurrentProcess();
        var cpu = self.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        await Programs.OutputOfAsync(program, arguments);
        var wall = clock.Elapsed;
        self.Refresh();
        return (wall, self.TotalProcessorTime - cpu);
    }

    private static string Rate((TimeSpan Wall, TimeSpan ServerCpu) time) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{Mebibytes / time.Wall.TotalSeconds:F0} MiB/s in {time.Wall.TotalSeconds:F2} s, server CPU {time.ServerCpu.TotalMilliseconds / Mebibytes:F2} ms/MiB");
}
