namespace Pfs.Consistency;

/// <summary>How a consistency run is shaped.</summary>
public sealed record CheckerOptions
{
    public int Seed { get; init; } = 1;

    public int Clients { get; init; } = 4;

    public int Files { get; init; } = 3;

    /// <summary>Operations in all (opens, reads, writes, closes, deletes, creates), split across clients.</summary>
    public long Operations { get; init; } = 2000;

    /// <summary>Small on purpose, so evictions and write-backs happen all the time.</summary>
    public int CacheBlocks { get; init; } = 8;

    public int MaxFileBytes { get; init; } = 8 * 1024;

    /// <summary>Stops early (reporting what ran) after this long.</summary>
    public TimeSpan TimeLimit { get; init; } = TimeSpan.FromMinutes(5);
}

/// <summary>What a run did.</summary>
public sealed record CheckerResult(long Operations, long Reads, long Writes, long Sessions, TimeSpan Elapsed)
{
    public double OperationsPerSecond => Operations / Math.Max(Elapsed.TotalSeconds, 1e-9);
}

/// <summary>A read that no sequentially consistent history explains.</summary>
public sealed class ConsistencyViolation(string message) : Exception(message);
