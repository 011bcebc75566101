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

    /// <summary>Converts to a point in time (to a precision of 100 ns).</summary>
    public DateTimeOffset ToDateTimeOffset() =>
        new(DateTime.UnixEpoch.Ticks + Seconds * TimeSpan.TicksPerSecond + Nanoseconds / NanosecondsPerTick, TimeSpan.Zero);
}
