using Pfs.Client.Transport;

namespace Pfs.Client.Caching;

/// <summary>One cache entry. All fields are guarded by the owning <see cref="BlockCache"/>'s lock.</summary>
internal sealed class CachedBlock(BlockKey key, FileLayout layout)
{
    public BlockKey Key { get; } = key;

    /// <summary>
    /// Where the block is written back to, and with which capability: the open that last wrote
    /// it (a clean block cached by an earlier open carries that open's, now stale, capability).
    /// </summary>
    public FileLayout Layout { get; set; } = layout;

    /// <summary>Pooled, at least a block long; bytes from <see cref="Length"/> on are zero. Null while virtual.</summary>
    public byte[]? Data { get; set; }

    /// <summary>
    /// While an operation holds the cache lock, a block it inserts points at the caller's bytes
    /// instead of a copy; blocks still cached when the operation ends are copied, the rest
    /// never are (a 32 MiB write through a 128-block cache copies 128 blocks, not 65536).
    /// </summary>
    public ReadOnlyMemory<byte> Source { get; set; }

    public bool IsVirtual => Data is null;

    /// <summary>Meaningful bytes: the block is zeros from here to its end.</summary>
    public int Length { get; set; }

    public bool Dirty { get; set; }

    /// <summary>Fetched by read-ahead and not read since.</summary>
    public bool ReadAhead { get; set; }

    /// <summary>Bumped on every change, so a write-back that raced a write can tell.</summary>
    public int Version { get; set; }

    /// <summary>Write-backs in flight; a pinned block is never evicted.</summary>
    public int Pins { get; set; }

    /// <summary>Chosen as an LRU victim while dirty: leaves the cache once its write-back lands.</summary>
    public bool Evicting { get; set; }

    public CachedBlock? Newer { get; set; }

    public CachedBlock? Older { get; set; }

    public ReadOnlyMemory<byte> Bytes => IsVirtual ? Source[..Length] : Data.AsMemory(0, Length);
}
