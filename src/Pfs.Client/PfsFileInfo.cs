namespace Pfs.Client;

/// <summary>What the metadata server knows about a file, directory or symbolic link.</summary>
/// <param name="Name">The full path without a leading '/' (e.g. "a/b/c.txt"; "" for the root).</param>
/// <param name="Size">
/// A file's highest byte offset ever written + 1 (or the length it was set to), as of its last writer's
/// close; a directory's number of entries; a symbolic link's target length in UTF-8 bytes.
/// </param>
/// <param name="Created">Creation time, UTC, millisecond precision.</param>
/// <param name="Modified">mtime, UTC, millisecond precision: a file's last close of a writer that changed it, or the time set explicitly; a directory's last change of entries.</param>
/// <param name="StripeWidth">K: data blocks per stripe (files; 0 otherwise).</param>
/// <param name="BlockSize">Bytes per block, the stripe unit (files; 0 otherwise).</param>
public sealed record PfsFileInfo(string Name, long Size, DateTimeOffset Created, DateTimeOffset Modified,
                                 int StripeWidth, int BlockSize)
{
    /// <summary>What the entry is.</summary>
    public PfsEntryKind Kind { get; init; }

    /// <summary>M: parity blocks per stripe (files; 0 = none).</summary>
    public int ParityBlocks { get; init; }

    /// <summary>
    /// Files with parity: the stripe positions (0 to K + M - 1) whose shards are missing or out of date
    /// until a repair (a writer could not reach their server, or it lost them). Empty: fully redundant.
    /// Files without parity: positions whose server came back without its data (or dropped a committed
    /// write); their blocks are lost and reads of them fail until the file is written anew from nothing
    /// (or deleted).
    /// </summary>
    public IReadOnlyList<int> StalePositions { get; init; } = [];

    /// <summary>Whether the file has fewer than K + M good shards of some stripe (until a repair), or lost blocks (no parity).</summary>
    public bool IsDegraded => StalePositions.Count > 0;

    /// <summary>The inode number: stable for the node's life, never reused; the root directory is 1.</summary>
    public ulong Inode { get; init; }

    /// <summary>Permission bits (07777).</summary>
    public uint Mode { get; init; }

    /// <summary>Owner user id.</summary>
    public uint Uid { get; init; }

    /// <summary>Owner group id.</summary>
    public uint Gid { get; init; }

    /// <summary>A file's number of names (hard links; 0 once unlinked while open); a directory's 2 + its subdirectories.</summary>
    public uint LinkCount { get; init; }

    /// <summary>atime, UTC (coarse: changes only when set explicitly, or by a writer's close).</summary>
    public DateTimeOffset Accessed { get; init; }

    /// <summary>ctime, UTC: the last change of content, attributes or names.</summary>
    public DateTimeOffset Changed { get; init; }

    /// <summary>A symbolic link's target, as stored (null for other kinds).</summary>
    public string? Target { get; init; }
}
