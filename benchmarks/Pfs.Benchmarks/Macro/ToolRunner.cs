using System.Diagnostics;
using System.Globalization;

namespace Pfs.Benchmarks.Macro;

/// <summary>One run of the <c>pfs</c> tool as its own process: wall time from start to exit, and the CPU it used.</summary>
internal readonly record struct ToolRun(TimeSpan Wall, TimeSpan Cpu, string Output);

/// <summary>
/// Runs the <c>pfs</c> tool as a user would, a process per command (a Native AOT executable, or
/// <c>dotnet pfs.dll</c>), against the benchmark's cluster. The tool's CPU time is read from this
/// process's children's times (<c>/proc/self/stat</c> cutime + cstime), which the kernel adds
/// when the tool is reaped.
/// </summary>
internal sealed class ToolRunner(string cli, Uri metaServer)
{
    private const double TicksPerSecond = 100;

    public string Describe() => Cluster.ServerBinaries.Describe(cli);

    public async Task<ToolRun> RunAsync(IEnumerable<string> arguments, CancellationToken cancellationToken)
    {
        var info = Cluster.ServerBinaries.IsNative(cli) ? new ProcessStartInfo(cli) : new ProcessStartInfo("dotnet") { ArgumentList = { cli } };
        info.ArgumentList.Add("--meta");
        info.ArgumentList.Add(metaServer.ToString());
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.UseShellExecute = false;
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment.Remove("DOTNET_EnableEventPipe");

        var cpu = ChildrenCpu();
        var started = Stopwatch.GetTimestamp();
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {cli}");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        var wall = Stopwatch.GetElapsedTime(started);
        var output = await stdout + await stderr;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"pfs {string.Join(' ', arguments)} exited with {process.ExitCode}: {output.Trim()}");
        }

        return new ToolRun(wall, ChildrenCpu() - cpu, output);
    }

    // cutime and cstime, fields 16 and 17 of /proc/self/stat: CPU of reaped children, in clock ticks.
    private static TimeSpan ChildrenCpu()
    {
        try
        {
            var stat = File.ReadAllText("/proc/self/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var ticks = long.Parse(fields[13], CultureInfo.InvariantCulture) + long.Parse(fields[14], CultureInfo.InvariantCulture);
            return TimeSpan.FromSeconds(ticks / TicksPerSecond);
        }
        catch (IOException)
        {
            return TimeSpan.Zero;
        }
    }
}
