namespace Pfs.MetaServer.Persistence;

/// <summary>
/// What a store holds, as read at start: the nodes reachable from the root (and the orphans), each as
/// its stored fields, and every directory's entries. The namespace builds its memory from this.
/// </summary>
public sealed class StoredNamespace
{
    /// <summary>Each node's stored fields by inode: every node reachable from the root, and the orphans.</summary>
    public Dictionary<ulong, IReadOnlyDictionary<string, string>> Nodes { get; } = [];

    /// <summary>Each directory's entries (name, inode) by directory inode; a directory with none may be absent.</summary>
    public Dictionary<ulong, List<KeyValuePair<string, ulong>>> Entries { get; } = [];

    /// <summary>Files whose last name went while they were open (no one holds them after a restart).</summary>
    public List<ulong> Orphans { get; } = [];

    /// <summary>Freed files whose stripe objects may still be on the file servers, with their reclaim value.</summary>
    public Dictionary<ulong, string> Reclaim { get; } = [];

    /// <summary>Entries that name a node with no stored fields (never expected: each mutation is atomic).</summary>
    public List<(ulong Directory, string Name, ulong Child)> Dangling { get; } = [];

    /// <summary>Files moved from a version-1 flat store during this load.</summary>
    public int Migrated { get; set; }
}
