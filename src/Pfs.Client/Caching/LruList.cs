namespace Pfs.Client.Caching;

/// <summary>
/// The cache's recency order, oldest to newest: a doubly linked list threaded through the blocks
/// themselves (<see cref="CachedBlock.Older"/>, <see cref="CachedBlock.Newer"/>), so moving a block
/// costs no allocation. Not thread-safe: the owning <see cref="BlockCache"/>'s lock guards it.
/// </summary>
internal sealed class LruList
{
    /// <summary>The least recently used block: the first candidate for eviction.</summary>
    public CachedBlock? Oldest { get; private set; }

    /// <summary>The most recently used block.</summary>
    public CachedBlock? Newest { get; private set; }

    /// <summary>Appends a block that is not in the list as the most recently used.</summary>
    public void AddNewest(CachedBlock block)
    {
        block.Older = Newest;
        block.Newer = null;
        if (Newest is not null)
        {
            Newest.Newer = block;
        }

        Newest = block;
        Oldest ??= block;
    }

    /// <summary>Makes a block in the list the most recently used.</summary>
    public void MoveToNewest(CachedBlock block)
    {
        if (ReferenceEquals(Newest, block))
        {
            return;
        }

        Remove(block);
        AddNewest(block);
    }

    /// <summary>Takes a block out of the list; a block that is not in it is left as it is.</summary>
    public void Remove(CachedBlock block)
    {
        if (block.Older is not null)
        {
            block.Older.Newer = block.Newer;
        }
        else if (ReferenceEquals(Oldest, block))
        {
            Oldest = block.Newer;
        }

        if (block.Newer is not null)
        {
            block.Newer.Older = block.Older;
        }
        else if (ReferenceEquals(Newest, block))
        {
            Newest = block.Older;
        }

        block.Older = null;
        block.Newer = null;
    }
}
