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

    /// <summary>The whole machine's idle time (idle + iowait, all cores; /proc/stat).</summary>
    public TimeSpan MachineIdle { get; init; }

    /// <summary>The whole machine's time, busy or idle (all cores).</summary>
    public TimeSpan MachineTotal { get; init; }

    /// <summary>
    /// The share of the machine's CPU time nobody used over a difference of snapshots: near 0, the
    /// figure was bound by CPU (ours or other programs'), not by the links or by waiting.
    /// </summary>
    public double MachineIdleFraction => MachineTotal > TimeSpan.Zero ? MachineIdle / MachineTotal : double.NaN;

    public static CpuSnapshot Take(IReadOnlyList<int> serverPids)
    {
        using var self = Process.GetCurrentProcess();
        var servers = TimeSpan.Zero;
        foreach (var pid in serverPids)
        {
            servers += Read(pid);
        }

        var (idle, total) = ReadMachine();
        return new CpuSnapshot(self.TotalProcessorTime, servers) { MachineIdle = idle, MachineTotal = total };
    }

    public static CpuSnapshot operator -(CpuSnapshot after, CpuSnapshot before) =>
        new(after.Client - before.Client, after.Servers - before.Servers)
        {
            MachineIdle = after.MachineIdle - before.MachineIdle,
            MachineTotal = after.MachineTotal - before.MachineTotal,
        };

    // The first line of /proc/stat: cpu user nice system idle iowait irq softirq steal ..., in clock ticks.
    private static (TimeSpan Idle, TimeSpan Total) ReadMachine()
    {
        try
        {
            using var reader = new StreamReader("/proc/stat");
            var fields = (reader.ReadLine() ?? string.Empty).Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length < 9 || fields[0] != "cpu")
            {
                return default;
            }

            var values = fields[1..9].Select(f => long.Parse(f, CultureInfo.InvariantCulture)).ToArray();
            return (TimeSpan.FromSeconds((values[3] + values[4]) / TicksPerSecond), TimeSpan.FromSeconds(values.Sum() / TicksPerSecond));
        }
        catch (IOException)
        {
            return default;
        }
    }

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
