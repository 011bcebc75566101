namespace Pfs.MetaServer.Registry;

/// <summary>
/// A directory's entries (name to inode, plus the name order for listing) and the bookkeeping of the
/// mutations in flight inside it. Guarded by the namespace's lock.
/// </summary>
internal sealed class DirectoryEntries
{
    private readonly Dictionary<string, ulong> _byName = new(StringComparer.Ordinal);
    private readonly SortedNameList _sorted = new();

    public int Count => _byName.Count;

    /// <summary>Entries that are directories (a directory's link count is 2 + this).</summary>
    public int Subdirectories { get; set; }

    /// <summary>Names a mutation in flight adds, removes or replaces here, with its task (done when it ends).</summary>
    public Dictionary<string, Task> Reserved { get; } = new(StringComparer.Ordinal);

    /// <summary>Set while an rmdir (or a rename onto this directory) removes it: nothing may be added meanwhile.</summary>
    public Task? Removing { get; set; }

    public bool TryGet(string name, out ulong id) => _byName.TryGetValue(name, out id);

    public void Add(string name, ulong id)
    {
        _byName.Add(name, id);
        _sorted.Add(name);
    }

    public void Replace(string name, ulong id) => _byName[name] = id;

    public bool Remove(string name) => _byName.Remove(name) && _sorted.Remove(name);

    /// <summary>See <see cref="SortedNameList.After"/>.</summary>
    public bool After(string after, int limit, Func<string, ulong, bool> take) =>
        _sorted.After(after, limit, name => take(name, _byName[name]));

    public IEnumerable<KeyValuePair<string, ulong>> All() => _sorted.All().Select(name => KeyValuePair.Create(name, _byName[name]));
}
