using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Pfs.Erasure.Benchmarks;

/// <summary>
/// The CPU time of the calling thread (Linux <c>CLOCK_THREAD_CPUTIME_ID</c>), so that a figure
/// per core stays a figure per core while other processes share the cores; elsewhere, wall time.
/// </summary>
internal static partial class ThreadClock
{
    private const int ClockThreadCpuTimeId = 3;

    public static bool MeasuresCpu { get; } = OperatingSystem.IsLinux() && TryCpuSeconds(out _);

    public static double Seconds() =>
        MeasuresCpu && TryCpuSeconds(out var seconds) ? seconds : Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency;

    private static bool TryCpuSeconds(out double seconds)
    {
        try
        {
            if (ClockGetTime(ClockThreadCpuTimeId, out var time) == 0)
            {
                seconds = time.Seconds + time.Nanoseconds / 1e9;
                return true;
            }
        }
        catch (DllNotFoundException)
        {
        }
        catch (EntryPointNotFoundException)
        {
        }
        seconds = 0;
        return false;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, out TimeSpec time);
}
