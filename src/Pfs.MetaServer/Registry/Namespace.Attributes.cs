using Pfs.MetaServer.Errors;
using Pfs.MetaServer.Persistence;

namespace Pfs.MetaServer.Registry;

/// <summary>
/// Changes of a node's own fields: chmod/chown/utimes, and a writer's close. Each reserves the node, writes
/// only the fields it changes, and applies them to the node as it is then, so a chmod and a writer's
/// close of one file never undo each other.
/// </summary>
internal sealed partial class Namespace
{
    /// <summary>Sets the attributes present in <paramref name="changes"/>; ctime becomes now.</summary>
    public Task<NodeView> SetAttributesAsync(ulong baseId, string path, AttributeChanges changes, string? actor, CancellationToken cancellationToken = default) =>
        MutateAsync(reservation =>
        {
            var target = Resolve(baseId, path);
            var node = target.Node ?? throw MetaException.NotFound(target.Path);
            if (_freeing.Contains(node.Id))
            {
                throw MetaException.NotFound(target.Path);
            }

            reservation.Nodes.Add(node.Id);
            var now = Now();
            var updated = Changed(node, changes, now);
            var change = new StoreChange().SetNode(node.Id, NodeFields.Attributes(updated, changes.Mode.HasValue, changes.Uid.HasValue,
                changes.Gid.HasValue, changes.AccessedNow || changes.Accessed.HasValue, changes.ModifiedNow || changes.Modified.HasValue));
            return new Plan<NodeView>(change, "set attributes of", target.Path, null, () =>
            {
                var current = Changed(_nodes[node.Id], changes, now);
                _nodes[node.Id] = current;
                return View(current, target.Path);
            }, _ => _notices.NodeChanged(node.Id, actor));
        }, cancellationToken);

    /// <summary>
    /// Records a writer's close: the size (exactly <paramref name="size"/> if the writer set the length,
    /// else the larger of old and new), mtime = ctime = atime = now, version + 1, the pending commits.
    /// The caller holds the file's write lock.
    /// </summary>
    public Task<FileNode> CompleteWriteAsync(ulong fileId, long size, bool sizeExact, IReadOnlyList<ulong> pendingCommits, CancellationToken cancellationToken = default) =>
        CompleteWriteAsync(fileId, size, sizeExact, pendingCommits, default, cancellationToken);

    /// <summary>
    /// A writer's close as above, that also changes the file's stale positions (files with parity): the
    /// positions it missed become stale, those it repaired (and did not miss) stop being, in the same
    /// store update as the size and version.
    /// </summary>
    public Task<FileNode> CompleteWriteAsync(ulong fileId, long size, bool sizeExact, IReadOnlyList<ulong> pendingCommits,
                                             StaleChange stale, CancellationToken cancellationToken = default) =>
        MutateAsync(reservation =>
        {
            var file = _nodes.GetValueOrDefault(fileId) as FileNode
                ?? throw new MetaException(MetaErrorCode.Internal, $"file {fileId} vanished while a writer held it");
            reservation.Nodes.Add(fileId);
            var now = Now();
            var written = Written(file, size, sizeExact, pendingCommits, stale, now);
            var change = new StoreChange()
                .SetNode(fileId, [.. NodeFields.FileContent(written), .. NodeFields.Times(written)]);
            return new Plan<FileNode>(change, "update", PathOf(file), null, () =>
            {
                var current = Written((FileNode)_nodes[fileId], size, sizeExact, pendingCommits, stale, now);
                _nodes[fileId] = current;
                return current;
            });
        }, cancellationToken);

    /// <summary>
    /// Marks <paramref name="position"/> of a file stale (with parity: its shards there are damaged or lost, until a
    /// repair; without: its blocks there are lost), stored with the record, and tells the clients with it open.
    /// Returns the file, and whether the position was not stale before.
    /// </summary>
    public Task<(FileNode File, bool Marked)> MarkStaleAsync(ulong fileId, int position, CancellationToken cancellationToken = default) =>
        MutateAsync(reservation =>
        {
            var file = _nodes.GetValueOrDefault(fileId) as FileNode ?? throw MetaException.NotFound($"file {fileId}");
            if (position < 0 || position >= file.Positions)
            {
                throw MetaException.InvalidArgument($"position {position} is not a stripe position of file {fileId} ({file.Positions} positions)");
            }

            reservation.Nodes.Add(fileId);
            var change = new StaleChange([position], null);
            var marked = file with { StalePositions = change.Apply(file.StalePositions) };
            var store = new StoreChange().SetNode(fileId, [new(NodeFields.StalePositions, NodeFields.PositionsText(marked.StalePositions))]);
            return new Plan<(FileNode, bool)>(store, "mark stale", PathOf(file), null, () =>
            {
                var current = (FileNode)_nodes[fileId];
                var updated = current with { StalePositions = change.Apply(current.StalePositions) };
                _nodes[fileId] = updated;
                return (updated, !current.StalePositions.Contains(position));
            }, result =>
            {
                if (result.Item2)
                {
                    _notices.PositionsStale(fileId, position);
                }
            });
        }, cancellationToken);

    /// <summary>
    /// Forgets committed epochs that every file server has now applied, in memory only: the store keeps
    /// naming them until the next write of the node, which is harmless (a server with nothing staged for
    /// an epoch ignores it). The caller holds the file's write lock.
    /// </summary>
    public FileNode ForgetApplied(FileNode current, IReadOnlyCollection<ulong> applied)
    {
        ArgumentNullException.ThrowIfNull(current);
        ArgumentNullException.ThrowIfNull(applied);
        if (applied.Count == 0 || current.PendingCommits.Count == 0)
        {
            return current;
        }

        lock (_gate)
        {
            if (_nodes.GetValueOrDefault(current.Id) is not FileNode inMap)
            {
                return current;
            }

            var updated = inMap with { PendingCommits = [.. inMap.PendingCommits.Where(epoch => !applied.Contains(epoch))] };
            _nodes[current.Id] = updated;
            return updated;
        }
    }

    private static FileNode Written(FileNode file, long size, bool sizeExact, IReadOnlyList<ulong> pendingCommits, StaleChange stale, DateTimeOffset now)
    {
        // As write(2): mtime becomes now, even from a time set into the future; ctime never goes back.
        var modified = now;
        return file with
        {
            Size = sizeExact ? size : Math.Max(file.Size, size),
            Modified = modified,
            Changed = Later(file.Changed, modified),
            Accessed = modified,
            Version = file.Version + 1,
            PendingCommits = pendingCommits,
            StalePositions = stale.Apply(file.StalePositions),
        };
    }

    private static Node Changed(Node node, AttributeChanges changes, DateTimeOffset now) => node with
    {
        Mode = changes.Mode is { } mode ? mode & Node.ModeMask : node.Mode,
        Uid = changes.Uid ?? node.Uid,
        Gid = changes.Gid ?? node.Gid,
        Accessed = changes.AccessedNow ? now : changes.Accessed is { } accessed ? Node.Truncate(accessed) : node.Accessed,
        Modified = changes.ModifiedNow ? now : changes.Modified is { } modified ? Node.Truncate(modified) : node.Modified,
        Changed = Later(node.Changed, now),
    };
}

/// <summary>What a SetAttributes request changes (null: unchanged; *Now: utimensat's UTIME_NOW).</summary>
internal sealed record AttributeChanges(uint? Mode, uint? Uid, uint? Gid, DateTimeOffset? Accessed, DateTimeOffset? Modified,
                                        bool AccessedNow, bool ModifiedNow);
