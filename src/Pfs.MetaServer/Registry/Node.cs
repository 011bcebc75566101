namespace Pfs.MetaServer.Registry;

/// <summary>One name of a file or symbolic link: the directory it is in and the name there.</summary>
public readonly record struct NodeLink(ulong Parent, string Name);

/// <summary>
/// One node of the namespace (file, directory or symbolic link), as stored. Immutable: a change is a
/// new record, so readers never see a half-updated node. Its inode number is its id, which is also the
/// file id that locks, capabilities and stripe objects are keyed by, so a rename touches none of them.
/// </summary>
public abstract record Node
{
    /// <summary>Permission bits a mode may carry.</summary>
    public const uint ModeMask = 0xFFF; // 07777

    /// <summary>The inode number: unique, never 0, never reused; the root directory is 1.</summary>
    public required ulong Id { get; init; }

    /// <summary>Permission bits (07777).</summary>
    public uint Mode { get; init; }

    public uint Uid { get; init; }

    public uint Gid { get; init; }

    /// <summary>Birth time, UTC, whole milliseconds.</summary>
    public DateTimeOffset Created { get; init; }

    /// <summary>mtime: the last close of a writer that changed the file, or set explicitly (files); the last change of entries (directories).</summary>
    public DateTimeOffset Modified { get; init; }

    /// <summary>ctime: any change of content, attributes or names.</summary>
    public DateTimeOffset Changed { get; init; }

    /// <summary>atime, "noatime": set explicitly, or by a writer's close (then equal to mtime).</summary>
    public DateTimeOffset Accessed { get; init; }

    /// <summary>Cuts a time to what the wire carries (UTC, whole milliseconds) so stored and reported times agree.</summary>
    public static DateTimeOffset Truncate(DateTimeOffset time) =>
        DateTimeOffset.FromUnixTimeMilliseconds(time.ToUnixTimeMilliseconds());
}

/// <summary>A file or a symbolic link: nodes that are named by links and may have several.</summary>
public abstract record LinkedNode : Node
{
    /// <summary>Every (directory, name) the node is linked under; empty for a file unlinked while open.</summary>
    public IReadOnlyList<NodeLink> Links { get; init; } = [];
}

/// <summary>A regular file and its stripe recipe.</summary>
public sealed record FileNode : LinkedNode
{
    /// <summary>The version a newly created file has.</summary>
    public const ulong InitialVersion = 1;

    /// <summary>Highest byte offset ever written + 1 (or the length set), as of the last writer close.</summary>
    public long Size { get; init; }

    /// <summary>Bytes per block (the stripe unit).</summary>
    public int BlockSize { get; init; }

    /// <summary>K: data blocks per stripe (the number of data servers).</summary>
    public int StripeWidth { get; init; }

    /// <summary>M: parity blocks per stripe.</summary>
    public int ParityBlocks { get; init; }

    /// <summary>The K + M servers' addresses in stripe order (block i on Servers[i % K]).</summary>
    public IReadOnlyList<string> Servers { get; init; } = [];

    /// <summary>1 at creation, bumped at every writer close.</summary>
    public ulong Version { get; init; } = InitialVersion;

    /// <summary>
    /// Writer epochs whose close committed but whose staged bytes some file server may not have applied
    /// yet (it could not be reached at the close); every capability names them. Empty: none.
    /// </summary>
    public IReadOnlyList<ulong> PendingCommits { get; init; } = [];

    /// <summary>
    /// Files with parity: positions whose shards are missing or out of date (a writer missed them, or their
    /// server lost them), ascending. Never read for data; the file is degraded while any remain.
    /// </summary>
    public IReadOnlyList<int> StalePositions { get; init; } = [];

    /// <summary>K + M: the stripe positions.</summary>
    public int Positions => Math.Min(StripeWidth + ParityBlocks, Servers.Count);

    /// <summary>Whether some position is stale (until a repair).</summary>
    public bool IsDegraded => StalePositions.Count > 0;
}

/// <summary>What a close does to a file's stale positions: <see cref="Missed"/> become stale, <see cref="Repaired"/> (not missed) stop being.</summary>
public readonly record struct StaleChange(IReadOnlyCollection<int>? Missed, IReadOnlyCollection<int>? Repaired)
{
    public IReadOnlyList<int> Apply(IReadOnlyList<int> stale)
    {
        if ((Missed is null || Missed.Count == 0) && (Repaired is null || Repaired.Count == 0))
        {
            return stale;
        }

        var result = new SortedSet<int>(stale);
        foreach (var position in Repaired ?? [])
        {
            result.Remove(position);
        }

        result.UnionWith(Missed ?? []);
        return [.. result];
    }
}

/// <summary>A symbolic link: a target string, stored as given and never followed by the server.</summary>
public sealed record SymlinkNode : LinkedNode
{
    public required string Target { get; init; }
}

/// <summary>
/// A directory. Its entries are not part of the record (a create must not copy a directory): they
/// live in <see cref="Entries"/>, which every version of the record shares and which the namespace
/// changes under its lock.
/// </summary>
public sealed record DirectoryNode : Node
{
    /// <summary>The root directory's inode number.</summary>
    public const ulong RootId = 1;

    /// <summary>The directory this one is in (the root's is itself).</summary>
    public ulong Parent { get; init; }

    /// <summary>Its name there ("" for the root).</summary>
    public string Name { get; init; } = string.Empty;

    /// <summary>The entries, shared by every version of this record.</summary>
    internal DirectoryEntries Entries { get; init; } = new();
}
