namespace Pfs.Client.Caching;

internal sealed partial class BlockWriter
{
    /// <summary>
    /// The counters of write-back, shared by the writers of one client and changed only by them:
    /// dirty blocks written back on eviction and at close, and the evictions that depend on a
    /// write-back (a dirty block leaves the cache once its bytes are on the file servers; a block
    /// that bypassed the cache counts as evicted when it is sent).
    /// </summary>
    internal sealed class Counters
    {
        private long _evictions;
        private long _writebacks;
        private long _closeWritebacks;

        /// <summary>The cache's own counters with these added.</summary>
        public PfsCacheStats AddTo(PfsCacheStats cache) => cache with
        {
            Evictions = cache.Evictions + Interlocked.Read(ref _evictions),
            Writebacks = cache.Writebacks + Interlocked.Read(ref _writebacks),
            CloseWritebacks = cache.CloseWritebacks + Interlocked.Read(ref _closeWritebacks),
        };

        /// <summary>Adds (or, negative, takes back) evicted and written-back blocks.</summary>
        public void Add(long evictions, long writebacks)
        {
            if (evictions != 0)
            {
                Interlocked.Add(ref _evictions, evictions);
            }

            if (writebacks != 0)
            {
                Interlocked.Add(ref _writebacks, writebacks);
            }
        }

        public void AddCloseWritebacks(int blocks) => Interlocked.Add(ref _closeWritebacks, blocks);
    }
}
