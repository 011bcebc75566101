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
/// One namespace mutation as the store sees it: applied atomically (one MULTI/EXEC in Redis), in order,
/// or not at all. The same change applies the same way to every store. It carries no condition (no
/// WATCH): the metadata server's memory is authoritative and it is the store's only writer, and on
/// Garnet a WATCHed transaction runs at an eighth of the rate of a plain one (1,600 against 13,200 a
/// second, 16 loops on one machine), which would bound every create by it.
/// </summary>
public sealed class StoreChange
{
    private readonly List<StoreOperation> _operations = [];

    public IReadOnlyList<StoreOperation> Operations => _operations;

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

    private StoreChange Add(StoreOperation operation)
    {
        _operations.Add(operation);
        return this;
    }
}
