namespace Pfs.Client;

/// <summary>Block-cache counters since the client connected. Every counter counts blocks, not calls.</summary>
/// <param name="ReadHits">Blocks a read found in the cache.</param>
/// <param name="WriteHits">Blocks a write found in the cache.</param>
/// <param name="Evictions">
/// Blocks pushed out by LRU pressure (a dirty one once its write-back landed). Whole blocks a large
/// write sends around the cache count here and in <paramref name="Writebacks"/>, as if they had passed through it.
/// </param>
/// <param name="Writebacks">Dirty blocks written back because they were evicted.</param>
/// <param name="Invalidations">Blocks dropped because another client's writer changed them.</param>
/// <param name="CloseWritebacks">Dirty blocks written back when their file was closed.</param>
/// <param name="CloseEvictions">
/// Blocks dropped for any other reason (delete, lost session), whatever the name says: not only at close.
/// </param>
public sealed record PfsCacheStats(long ReadHits, long WriteHits, long Evictions, long Writebacks,
                                   long Invalidations, long CloseWritebacks, long CloseEvictions)
{
    /// <summary>
    /// Blocks fetched by read-ahead (a sequential reader's next blocks, fetched before it asked).
    /// A read that then finds one counts it in <see cref="ReadHits"/>.
    /// </summary>
    public long ReadAheadBlocks { get; init; }

    /// <summary>Blocks fetched by read-ahead that left the cache before any read asked for them: the guesses that missed.</summary>
    public long ReadAheadUnused { get; init; }
}
