using System.Diagnostics;

namespace Pfs.Tests.Integration.Benchmarks;

/// <summary>
/// The macro benchmark's smoke mode (tiny sizes) runs to the end and prints its table, so the
/// benchmark never rots. It judges no figure here (they mean little on a busy CI machine), but on
/// Linux it checks that each one was measured.
/// </summary>
public sealed class BenchmarkSmokeTests
{
    // A guard against a hang, not a figure: the run takes 40-90 s on an idle 2-core machine, and
    // over three minutes when other test classes' clusters share those cores.
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(360);

    [Fact]
    public async Task SmokeRunCompletesAndPrintsTheTable()
    {
        var output = await RunSmokeAsync("--smoke");

        foreach (var section in new[] { "ceiling:", "sequential:", "memory:", "cache:", "metadata:", "fan-out:" })
        {
            Assert.Contains("| " + section, output, StringComparison.Ordinal);
        }

        // Linux has /proc: every memory figure is read, none left "not measured".
        if (OperatingSystem.IsLinux())
        {
            Assert.Contains(", 0 not measured.", output, StringComparison.Ordinal);
        }
    }

    // The redundancy phase on its own (a plain --smoke run leaves it out): six file servers, a 4+2
    // file read with one of them SIGKILLed, that server emptied, restarted and repaired, and the
    // repaired file read back with two others killed (the benchmark fails if a byte is wrong).
    [Fact]
    public async Task RedundancySmokeRunKillsRepairsAndPrintsItsRows()
    {
        var output = await RunSmokeAsync("--smoke", "--only", "redundancy");

        foreach (var row in new[]
                 {
                     "| redundancy: sequential write, 4+2 / w=4 M=0", "| redundancy: sequential read, healthy",
                     "| redundancy: sequential read of the 4+2 file, one data server SIGKILLed", "| redundancy: repair of an emptied server",
                     "| redundancy: sequential read after the repair", "| redundancy: codec encode", "| redundancy: codec decode",
                     "| cpu: 4+2 repair of an emptied server",
                 })
        {
            Assert.Contains(row, output, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("WRONG", output, StringComparison.Ordinal);
    }

    private static async Task<string> RunSmokeAsync(params string[] args)
    {
        var dll = BenchmarkDll();
        Assert.True(File.Exists(dll), $"the benchmark is not built: {dll}");
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(dll);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(Timeout);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"the smoke benchmark ({string.Join(' ', args)}) did not finish within {Timeout.TotalSeconds} s:\n{await stdout}\n{await stderr}");
        }

        var output = await stdout;
        Assert.True(process.ExitCode == 0, $"exit code {process.ExitCode}:\n{output}\n{await stderr}");
        Assert.Contains("| figure", output, StringComparison.Ordinal);
        return output;
    }

    // The benchmark is built next to the tests by the solution build, in the same configuration.
    private static string BenchmarkDll()
    {
        var baseDirectory = new DirectoryInfo(AppContext.BaseDirectory);
        var framework = baseDirectory.Name;
        var configuration = baseDirectory.Parent!.Name;
        var root = baseDirectory;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Pfs.sln")))
        {
            root = root.Parent;
        }

        Assert.NotNull(root);
        return Path.Combine(root.FullName, "benchmarks", "Pfs.Benchmarks", "bin", configuration, framework, "Pfs.Benchmarks.dll");
    }
}
