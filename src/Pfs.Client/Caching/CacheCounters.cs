namespace Pfs.Client.Caching;

/// <summary>
/// What the cache itself counts, changed only under its lock. Write-backs, and the evictions of
/// blocks that leave only once written back, are the <see cref="BlockWriter"/>'s to count
/// (<see cref="BlockWriter.Counters"/>).
/// </summary>
internal sealed class CacheCounters
{
    public long ReadHits;
    public long WriteHits;
    public long Evictions;
    public long Invalidations;
    public long CloseEvictions;
    public long ReadAheadBlocks;
    public long ReadAheadUnused;

    public PfsCacheStats Snapshot() =>
        new(ReadHits, WriteHits, Evictions, Writebacks: 0, Invalidations, CloseWritebacks: 0, CloseEvictions)
        {
            ReadAheadBlocks = ReadAheadBlocks,
            ReadAheadUnused = ReadAheadUnused,
        };
}
