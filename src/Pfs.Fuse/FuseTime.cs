namespace Pfs.Fuse;

/// <summary>A file time as the kernel carries it: seconds since the Unix epoch and nanoseconds.</summary>
/// <param name="Seconds">Seconds since 1970-01-01T00:00:00Z.</param>
/// <param name="Nanoseconds">Nanoseconds within the second, below 1,000,000,000.</param>
public readonly record struct FuseTime(long Seconds, uint Nanoseconds)
{
    private const long NanosecondsPerTick = 100;

    /// <summary>The time now.</summary>
    public static FuseTime Now => FromDateTimeOffset(DateTimeOffset.UtcNow);

    /// <summary>Converts a point in time (to a precision of 100 ns).</summary>
    public static FuseTime FromDateTimeOffset(DateTimeOffset time)
    {
        var ticks = time.UtcTicks - DateTime.UnixEpoch.Ticks;
        var seconds = Math.DivRem(ticks, TimeSpan.TicksPerSecond, out var remainder);
        if (remainder < 0)
        {
            seconds--;
            remainder += TimeSpan.TicksPerSecond;
        }
        return new FuseTime(seconds, (uint)(remainder * NanosecondsPerTick));
    }

    // DateTimeOffset's range, years 1 to 9999, in whole seconds from the epoch.
    private static readonly long MinSeconds = (DateTime.MinValue.Ticks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerSecond;
    private static readonly long MaxSeconds = (DateTime.MaxValue.Ticks - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerSecond;

    /// <summary>
    /// Converts to a point in time (to a precision of 100 ns). Throws <see cref="ArgumentOutOfRangeException"/>
    /// outside years 1 to 9999 (the kernel passes any 64-bit seconds a utimensat asks for).
    /// </summary>
    public DateTimeOffset ToDateTimeOffset() =>
        TryToDateTimeOffset(out var time)
            ? time
            : throw new ArgumentOutOfRangeException(nameof(Seconds), Seconds, "the time is outside years 1 to 9999");

    /// <summary>Converts to a point in time (to a precision of 100 ns); false outside years 1 to 9999, or for nanoseconds past a second.</summary>
    public bool TryToDateTimeOffset(out DateTimeOffset time)
    {
        if (Seconds < MinSeconds || Seconds > MaxSeconds || Nanoseconds >= 1_000_000_000)
        {
            time = default;
            return false;
        }

        time = new DateTimeOffset(DateTime.UnixEpoch.Ticks + Seconds * TimeSpan.TicksPerSecond + Nanoseconds / NanosecondsPerTick, TimeSpan.Zero);
        return true;
    }
}
