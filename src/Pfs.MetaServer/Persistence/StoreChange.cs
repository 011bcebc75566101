namespace Pfs.MetaServer.Persistence;

/// <summary>The kinds of step a <see cref="StoreChange"/> is made of, named by the Redis command each one is.</summary>
public enum StoreOperationKind
{
    /// <summary>HSET ino:{id} fields: a new node, or some fields of an existing one.</summary>
    SetNode,

    /// <summary>DEL ino:{id}.</summary>
    DeleteNode,

    /// <summary>HSET dir:{id} name child.</summary>
    SetEntry,

    /// <summary>HDEL dir:{id} name.</summary>
    RemoveEntry,

    /// <summary>DEL dir:{id} (an empty directory's hash, which may not exist).</summary>
    DeleteDirectory,

    /// <summary>SADD orphans id.</summary>
    AddOrphan,

    /// <summary>SREM orphans id.</summary>
    RemoveOrphan,

    /// <summary>HSET reclaim id value.</summary>
    AddReclaim,

    /// <summary>HDEL reclaim id.</summary>
    RemoveReclaim,
}

/// <summary>One step of a <see cref="StoreChange"/>.</summary>
public readonly record struct StoreOperation(
    StoreOperationKind Kind, ulong Id, string? Name = null, ulong Child = 0,
    IReadOnlyList<KeyValuePair<string, string>>? Fields = null, string? Value = null);

/// <summary>
/// What must hold in the store for a change to apply: a directory entry is free (<see cref="Child"/> 0)
/// or names <see cref="Child"/>. The namespace's memory is authoritative; a condition that fails means
/// something else wrote the store, and the change is refused rather than applied over it.
/// </summary>
public readonly record struct StoreCondition(ulong Directory, string Name, ulong Child);

/// <summary>
/// One namespace mutation as the store sees it: applied atomically (one MULTI/EXEC in Redis), in order,
/// or not at all. The same change applies the same way to every store.
/// </summary>
public sealed class StoreChange
{
    private readonly List<StoreOperation> _operations = [];
    private readonly List<StoreCondition> _conditions = [];

    public IReadOnlyList<StoreOperation> Operations => _operations;

    public IReadOnlyList<StoreCondition> Conditions => _conditions;

    public StoreChange SetNode(ulong id, IReadOnlyList<KeyValuePair<string, string>> fields) =>
        Add(new(StoreOperationKind.SetNode, id, Fields: fields));

    public StoreChange DeleteNode(ulong id) => Add(new(StoreOperationKind.DeleteNode, id));

    public StoreChange SetEntry(ulong directory, string name, ulong child) =>
        Add(new(StoreOperationKind.SetEntry, directory, name, child));

    public StoreChange RemoveEntry(ulong directory, string name) => Add(new(StoreOperationKind.RemoveEntry, directory, name));

    public StoreChange DeleteDirectory(ulong directory) => Add(new(StoreOperationKind.DeleteDirectory, directory));

    public StoreChange AddOrphan(ulong id) => Add(new(StoreOperationKind.AddOrphan, id));

    public StoreChange RemoveOrphan(ulong id) => Add(new(StoreOperationKind.RemoveOrphan, id));

    public StoreChange AddReclaim(ulong id, string value) => Add(new(StoreOperationKind.AddReclaim, id, Value: value));

    public StoreChange RemoveReclaim(ulong id) => Add(new(StoreOperationKind.RemoveReclaim, id));

    /// <summary>Applies only if <paramref name="name"/> is free in <paramref name="directory"/>.</summary>
    public StoreChange RequireFree(ulong directory, string name)
    {
        _conditions.Add(new(directory, name, 0));
        return this;
    }

    /// <summary>Applies only if <paramref name="name"/> in <paramref name="directory"/> names <paramref name="child"/>.</summary>
    public StoreChange RequireEntry(ulong directory, string name, ulong child)
    {
        _conditions.Add(new(directory, name, child));
        return this;
    }

    private StoreChange Add(StoreOperation operation)
    {
        _operations.Add(operation);
        return this;
    }
}

/// <summary>A change whose condition did not hold: the store was written by something else, and nothing was applied.</summary>
public sealed class StoreConflictException(string message) : Exception(message);
