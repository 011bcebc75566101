using System.Globalization;

namespace Pfs.Benchmarks.Macro;

/// <summary>
/// Polls the resident set size (VmRSS in <c>/proc/PID/status</c>) of some processes while a window
/// is open and keeps the peak of each: a peak per measured run, not per process lifetime (VmHWM).
/// Reports 0 where /proc does not exist.
/// </summary>
internal sealed class RssSampler : IAsyncDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(25);

    private readonly int[] _pids;
    private readonly long[] _peaks;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    private RssSampler(IReadOnlyList<int> pids)
    {
        _pids = [.. pids];
        _peaks = new long[_pids.Length];
        Sample();
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>Starts sampling <paramref name="pids"/> (this process is <see cref="Environment.ProcessId"/>).</summary>
    public static RssSampler Start(IReadOnlyList<int> pids) => new(pids);

    /// <summary>Peak RSS of a sampled process so far, in bytes.</summary>
    public long Peak(int pid) => Volatile.Read(ref _peaks[Array.IndexOf(_pids, pid)]);

    /// <summary>The largest peak among <paramref name="pids"/>.</summary>
    public long MaxPeak(IEnumerable<int> pids) => pids.Max(Peak);

    /// <summary>Current RSS of a process in bytes (0 without /proc).</summary>
    public static long ReadRss(int pid) => ReadStatusKb(pid, "VmRSS:") * 1024;

    /// <summary>Lifetime peak RSS of a process in bytes (0 without /proc).</summary>
    public static long ReadHighWaterMark(int pid) => ReadStatusKb(pid, "VmHWM:") * 1024;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        Sample();
        _stop.Dispose();
    }

    private async Task LoopAsync()
    {
        using var timer = new PeriodicTimer(Interval);
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
            {
                Sample();
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private void Sample()
    {
        for (var i = 0; i < _pids.Length; i++)
        {
            var rss = ReadRss(_pids[i]);
            if (rss > Volatile.Read(ref _peaks[i]))
            {
                Volatile.Write(ref _peaks[i], rss);
            }
        }
    }

    private static long ReadStatusKb(int pid, string field)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith(field, StringComparison.Ordinal))
                {
                    var number = line[field.Length..].Trim().Split(' ')[0];
                    return long.Parse(number, CultureInfo.InvariantCulture);
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return 0;
    }
}
