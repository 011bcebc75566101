using Pfs.Protocol;

namespace Pfs.MetaServer.Registry;

/// <summary>Listings, from memory: a page after a cursor costs O(log n + page), with no copy of the directory.</summary>
internal sealed partial class Namespace
{
    /// <summary>Most entries in one page.</summary>
    public const int MaxPage = 1000;

    /// <summary>
    /// Up to <paramref name="limit"/> entries (at most <see cref="MaxPage"/>) of a directory in ordinal name
    /// order after the name <paramref name="after"/> ("" from the start), each with its full path.
    /// </summary>
    /// <returns>The entries and whether more follow.</returns>
    public (IReadOnlyList<DirectoryEntry> Entries, bool More) List(ulong baseId, string path, string after, int limit)
    {
        EnsureLoaded();
        limit = limit <= 0 ? MaxPage : Math.Min(limit, MaxPage);
        lock (_gate)
        {
            var (directory, directoryPath) = ResolveDirectory(baseId, path);
            var entries = new List<DirectoryEntry>(Math.Min(limit, directory.Entries.Count));
            var more = directory.Entries.After(after ?? string.Empty, limit, (name, id) =>
            {
                if (_nodes.TryGetValue(id, out var node))
                {
                    entries.Add(new DirectoryEntry(name, View(node, PfsPaths.Join(directoryPath, name))));
                }

                return true;
            });
            return (entries, more);
        }
    }

    /// <summary>Every entry of the root directory, in name order (the version-1 List).</summary>
    public IReadOnlyList<NodeView> ListRoot()
    {
        EnsureLoaded();
        lock (_gate)
        {
            var root = (DirectoryNode)_nodes[DirectoryNode.RootId];
            return [.. root.Entries.All()
                .Where(entry => _nodes.ContainsKey(entry.Value))
                .Select(entry => View(_nodes[entry.Value], entry.Key))];
        }
    }
}

/// <summary>One entry of a listing: its name in the directory and the node it names.</summary>
internal readonly record struct DirectoryEntry(string Name, NodeView View);
