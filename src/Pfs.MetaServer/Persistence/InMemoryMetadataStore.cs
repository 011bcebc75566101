using Pfs.MetaServer.Registry;

namespace Pfs.MetaServer.Persistence;

/// <summary>
/// The store without Redis: the same layout and the same semantics as <see cref="RedisMetadataStore"/>
/// (node hashes, directory hashes, orphans, reclaim; each change atomic), kept in
/// this process, so everything is lost on restart. A second load of the same instance reads what the
/// first left, as a restarted server would from Redis (tests use that).
/// </summary>
public sealed class InMemoryMetadataStore : IMetadataStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<ulong, Dictionary<string, string>> _nodes = [];
    private readonly Dictionary<ulong, Dictionary<string, ulong>> _directories = [];
    private readonly HashSet<ulong> _orphans = [];
    private readonly Dictionary<ulong, string> _reclaim = [];
    // Ids start from the clock, not 1: stripe objects outlive an in-memory namespace, and a file
    // created after a restart must not take the generation (and so the old bytes) of one before it.
    private long _lastId = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() << 16;

    public bool IsDurable => false;

    public Task<StoredNamespace> LoadAsync(CancellationToken cancellationToken = default)
    {
        var loaded = new StoredNamespace();
        lock (_gate)
        {
            if (!_nodes.TryGetValue(DirectoryNode.RootId, out var root))
            {
                root = NodeFields.All(NodeFields.NewRoot(DateTimeOffset.UtcNow)).ToDictionary(StringComparer.Ordinal);
                _nodes[DirectoryNode.RootId] = root;
            }

            var pending = new Queue<ulong>([DirectoryNode.RootId]);
            loaded.Nodes[DirectoryNode.RootId] = Copy(root);
            while (pending.TryDequeue(out var directory))
            {
                if (!_directories.TryGetValue(directory, out var entries) || entries.Count == 0)
                {
                    continue;
                }

                loaded.Entries[directory] = [.. entries];
                foreach (var (name, child) in entries)
                {
                    if (!_nodes.TryGetValue(child, out var fields))
                    {
                        loaded.Dangling.Add((directory, name, child));
                    }
                    else if (loaded.Nodes.TryAdd(child, Copy(fields)) && fields.GetValueOrDefault(NodeFields.Kind) == "dir")
                    {
                        pending.Enqueue(child);
                    }
                }
            }

            foreach (var orphan in _orphans)
            {
                loaded.Orphans.Add(orphan);
                if (_nodes.TryGetValue(orphan, out var fields))
                {
                    loaded.Nodes[orphan] = Copy(fields);
                }
            }

            foreach (var (id, value) in _reclaim)
            {
                loaded.Reclaim[id] = value;
            }
        }

        return Task.FromResult(loaded);
    }

    public Task<ulong> AllocateIdsAsync(int count, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        return Task.FromResult((ulong)(Interlocked.Add(ref _lastId, count) - count + 1));
    }

    public Task ApplyAsync(StoreChange change, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(change);
        lock (_gate)
        {
            foreach (var operation in change.Operations)
            {
                Apply(operation);
            }
        }

        return Task.CompletedTask;
    }

    private void Apply(StoreOperation operation)
    {
        switch (operation.Kind)
        {
            case StoreOperationKind.SetNode:
                if (!_nodes.TryGetValue(operation.Id, out var fields))
                {
                    fields = new Dictionary<string, string>(StringComparer.Ordinal);
                    _nodes.Add(operation.Id, fields);
                }

                foreach (var (field, value) in operation.Fields!)
                {
                    fields[field] = value;
                }

                break;
            case StoreOperationKind.DeleteNode:
                _nodes.Remove(operation.Id);
                break;
            case StoreOperationKind.SetEntry:
                if (!_directories.TryGetValue(operation.Id, out var entries))
                {
                    entries = new Dictionary<string, ulong>(StringComparer.Ordinal);
                    _directories.Add(operation.Id, entries);
                }

                entries[operation.Name!] = operation.Child;
                break;
            case StoreOperationKind.RemoveEntry:
                if (_directories.TryGetValue(operation.Id, out var from) && from.Remove(operation.Name!) && from.Count == 0)
                {
                    // As Redis does: a hash with no fields left is no key at all.
                    _directories.Remove(operation.Id);
                }

                break;
            case StoreOperationKind.DeleteDirectory:
                _directories.Remove(operation.Id);
                break;
            case StoreOperationKind.AddOrphan:
                _orphans.Add(operation.Id);
                break;
            case StoreOperationKind.RemoveOrphan:
                _orphans.Remove(operation.Id);
                break;
            case StoreOperationKind.AddReclaim:
                _reclaim[operation.Id] = operation.Value!;
                break;
            case StoreOperationKind.RemoveReclaim:
                _reclaim.Remove(operation.Id);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(operation), operation.Kind, "unknown store operation");
        }
    }

    private static Dictionary<string, string> Copy(Dictionary<string, string> fields) => new(fields, StringComparer.Ordinal);
}
