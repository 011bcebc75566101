using System.Globalization;

namespace Pfs.Benchmarks.Macro;

/// <summary>
/// Polls the resident set size (VmRSS in <c>/proc/PID/status</c>) of some processes while a window
/// is open and keeps the peak of each: a peak per measured run, not per process lifetime (VmHWM).
/// A figure it could not read (no /proc, a process gone) is null, never 0: a 0 would pass any
/// "less than" target without anything having been measured.
/// </summary>
internal sealed class RssSampler : IAsyncDisposable
{
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(25);

    private readonly int[] _pids;
    private readonly long[] _peaks;
    private readonly int[] _unread;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    private RssSampler(IReadOnlyList<int> pids)
    {
        _pids = [.. pids];
        _peaks = new long[_pids.Length];
        _unread = new int[_pids.Length];
        Sample();
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>Starts sampling <paramref name="pids"/> (this process is <see cref="Environment.ProcessId"/>).</summary>
    public static RssSampler Start(IReadOnlyList<int> pids) => new(pids);

    /// <summary>
    /// Peak RSS of a sampled process so far, in bytes; null if any sample of it could not be read,
    /// since the peak may then have fallen in the gap.
    /// </summary>
    public long? Peak(int pid)
    {
        var i = Array.IndexOf(_pids, pid);
        return Volatile.Read(ref _unread[i]) == 0 ? Volatile.Read(ref _peaks[i]) : null;
    }

    /// <summary>The largest peak among <paramref name="pids"/>; null if any of them is.</summary>
    public long? MaxPeak(IEnumerable<int> pids) => Max(pids.Select(Peak));

    /// <summary>The largest of <paramref name="values"/>; null if any is null or there are none.</summary>
    public static long? Max(IEnumerable<long?> values)
    {
        long? max = null;
        foreach (var value in values)
        {
            if (value is null)
            {
                return null;
            }

            max = Math.Max(max ?? long.MinValue, value.Value);
        }

        return max;
    }

    /// <summary>Current RSS of a process in bytes; null if it cannot be read.</summary>
    public static long? ReadRss(int pid) => ReadStatusKb(pid, "VmRSS:") * 1024;

    /// <summary>Lifetime peak RSS of a process in bytes; null if it cannot be read.</summary>
    public static long? ReadHighWaterMark(int pid) => ReadStatusKb(pid, "VmHWM:") * 1024;

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
            if (rss is not { } bytes)
            {
                Interlocked.Increment(ref _unread[i]);
            }
            else if (bytes > Volatile.Read(ref _peaks[i]))
            {
                Volatile.Write(ref _peaks[i], bytes);
            }
        }
    }

    private static long? ReadStatusKb(int pid, string field)
    {
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith(field, StringComparison.Ordinal))
                {
                    var number = line[field.Length..].Trim().Split(' ')[0];
                    return long.TryParse(number, NumberStyles.None, CultureInfo.InvariantCulture, out var kb) ? kb : null;
                }
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        return null;
    }
}
