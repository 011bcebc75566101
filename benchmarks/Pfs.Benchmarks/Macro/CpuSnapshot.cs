using System.Diagnostics;
using System.Globalization;

namespace Pfs.Benchmarks.Macro;

/// <summary>
/// CPU time (user + system) used by this process and by some server processes between two points.
/// On a small machine shared with other work, CPU per unit of work is steadier than wall time and
/// tells whether a figure is bound by CPU or by waiting.
/// </summary>
internal readonly record struct CpuSnapshot(TimeSpan Client, TimeSpan Servers)
{
    // USER_HZ: the unit of /proc/PID/stat times, 100 on every Linux the benchmark runs on.
    private const double TicksPerSecond = 100;

    public static CpuSnapshot Take(IReadOnlyList<int> serverPids)
    {
        using var self = Process.GetCurrentProcess();
        var servers = TimeSpan.Zero;
        foreach (var pid in serverPids)
        {
            servers += Read(pid);
        }

        return new CpuSnapshot(self.TotalProcessorTime, servers);
    }

    public static CpuSnapshot operator -(CpuSnapshot after, CpuSnapshot before) =>
        new(after.Client - before.Client, after.Servers - before.Servers);

    // utime and stime, fields 14 and 15 of /proc/PID/stat, in clock ticks.
    private static TimeSpan Read(int pid)
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            return TimeSpan.FromSeconds(ticks / TicksPerSecond);
        }
        catch (IOException)
        {
            return TimeSpan.Zero;
        }
    }
}
