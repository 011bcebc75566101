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
        var dll = BenchmarkDll();
        Assert.True(File.Exists(dll), $"the benchmark is not built: {dll}");
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.ArgumentList.Add(dll);
        info.ArgumentList.Add("--smoke");

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
            Assert.Fail($"the smoke benchmark did not finish within {Timeout.TotalSeconds} s:\n{await stdout}\n{await stderr}");
        }

        var output = await stdout;
        Assert.True(process.ExitCode == 0, $"exit code {process.ExitCode}:\n{output}\n{await stderr}");
        Assert.Contains("| figure", output, StringComparison.Ordinal);
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
