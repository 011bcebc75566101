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

    /// <summary>
    /// M, the parity blocks of every file (0: none). With server kills, at most one file server is down
    /// at a time and a repair runs after each restart, so M = 1 is enough for no call to fail.
    /// </summary>
    public int ParityBlocks { get; init; }

    /// <summary>With server kills: operations between a kill and the restart, and between cycles.</summary>
    public int OperationsPerFault { get; init; } = 150;

    /// <summary>With server kills: the clients go on past <see cref="Operations"/> until this many kill-restart-repair cycles have run.</summary>
    public int FaultCycles { get; init; } = 4;

    /// <summary>Stops early (reporting what ran) after this long.</summary>
    public TimeSpan TimeLimit { get; init; } = TimeSpan.FromMinutes(5);
}

/// <summary>What a run did.</summary>
public sealed record CheckerResult(long Operations, long Reads, long Writes, long Sessions, TimeSpan Elapsed)
{
    /// <summary>Kill, restart and repair cycles of file servers during the run (0 without faults).</summary>
    public long FaultCycles { get; init; }

    /// <summary>Files read back whole against the model after the run (with faults only).</summary>
    public int FilesVerified { get; init; }

    public double OperationsPerSecond => Operations / Math.Max(Elapsed.TotalSeconds, 1e-9);
}

/// <summary>A read that no sequentially consistent history explains.</summary>
public sealed class ConsistencyViolationException(string message) : Exception(message);
