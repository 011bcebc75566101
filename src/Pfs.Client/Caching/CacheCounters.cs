namespace Pfs.Client.Caching;

/// <summary>The seven counters of <see cref="PfsCacheStats"/>; changed only under the cache lock.</summary>
internal sealed class CacheCounters
{
    public long ReadHits;
    public long WriteHits;
    public long Evictions;
    public long Writebacks;
    public long Invalidations;
    public long CloseWritebacks;
    public long CloseEvictions;

    public PfsCacheStats Snapshot() =>
        new(ReadHits, WriteHits, Evictions, Writebacks, Invalidations, CloseWritebacks, CloseEvictions);
}
