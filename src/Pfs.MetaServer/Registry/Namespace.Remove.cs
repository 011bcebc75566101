using Pfs.MetaServer.Errors;
using Pfs.MetaServer.Persistence;

namespace Pfs.MetaServer.Registry;

/// <summary>Names that go: unlink, rmdir, and the version-1 Delete.</summary>
internal sealed partial class Namespace
{
    /// <summary>
    /// unlink(2) of a file or symbolic link: the name goes at once. A file whose last name goes is freed
    /// now if nobody has it open, or else becomes an orphan that lives until its last handle goes.
    /// </summary>
    /// <returns>The node as it was.</returns>
    public Task<NodeView> UnlinkAsync(ulong baseId, string path, string? actor, CancellationToken cancellationToken = default) =>
        MutateAsync(reservation =>
        {
            var target = ResolveEntry(baseId, path, "unlinked");
            return target.Node switch
            {
                null => throw MetaException.NotFound(target.Path),
                DirectoryNode => throw MetaException.IsADirectory(target.Path),
                LinkedNode node => PlanUnlink(reservation, target, node, forceFree: false, actor, CrashPoints.UnlinkStored).Plan,
                _ => throw new InvalidOperationException("a node that is neither linked nor a directory"),
            };
        }, cancellationToken);

    /// <summary>
    /// The version-1 Delete, once its caller holds the file's write lock: unlinks <paramref name="path"/>
    /// if it still names file <paramref name="fileId"/>, and frees the file if that was its last name,
    /// whoever waits for it (the caller fails those waiters).
    /// </summary>
    /// <returns>
    /// The file as it was, whether it was freed, and whether it has objects to reclaim (false for a file no
    /// writer ever had); null if the path now names another node (start over).
    /// </returns>
    /// <exception cref="MetaException">NotFound if the path names nothing any more.</exception>
    public Task<(NodeView Before, bool Freed, bool Reclaim)?> DeleteFileAsync(ulong baseId, string path, ulong fileId, string? actor, CancellationToken cancellationToken = default) =>
        MutateAsync<(NodeView, bool, bool)?>(reservation =>
        {
            var target = ResolveEntry(baseId, path, "deleted");
            if (target.Node is null)
            {
                throw MetaException.NotFound(target.Path);
            }

            if (target.Node is not FileNode file || file.Id != fileId)
            {
                return new Plan<(NodeView, bool, bool)?>(null, "delete", target.Path, null, () => null);
            }

            var (plan, fate) = PlanUnlink(reservation, target, file, forceFree: true, actor, CrashPoints.UnlinkStored);
            return new Plan<(NodeView, bool, bool)?>(plan.Change, plan.What, plan.Name, plan.CrashPoint,
                () => (plan.Apply(), fate is NameGoneFate.Freed or NameGoneFate.FreedUnwritten, fate == NameGoneFate.Freed),
                result => plan.Publish?.Invoke(result!.Value.Item1));
        }, cancellationToken);

    /// <summary>rmdir(2): removes an empty directory.</summary>
    /// <returns>The directory as it was.</returns>
    public Task<NodeView> RemoveDirectoryAsync(ulong baseId, string path, string? actor, CancellationToken cancellationToken = default) =>
        MutateAsync(reservation =>
        {
            var target = ResolveEntry(baseId, path, "removed");
            var directory = target.Node switch
            {
                null => throw MetaException.NotFound(target.Path),
                DirectoryNode found => found,
                _ => throw MetaException.NotADirectory(target.Path),
            };
            if (directory.Entries.Count > 0)
            {
                throw MetaException.DirectoryNotEmpty(target.Path);
            }

            var parent = target.Parent!;
            reservation.Names.Add((parent.Entries, target.Name));
            reservation.Nodes.Add(directory.Id);
            reservation.Removes = directory.Entries;
            var now = Now();
            var before = View(directory, target.Path);
            var change = new StoreChange()
                .RemoveEntry(parent.Id, target.Name)
                .DeleteNode(directory.Id)
                .DeleteDirectory(directory.Id)
                .SetNode(parent.Id, EntryTimes(parent, now));
            return new Plan<NodeView>(change, "remove directory", target.Path, CrashPoints.RemoveDirectoryStored, () =>
            {
                parent.Entries.Remove(target.Name);
                parent.Entries.Subdirectories--;
                _nodes.Remove(directory.Id);
                TouchDirectory(parent.Id, now);
                return before;
            }, _ => _notices.EntryChanged(parent.Id, target.Name, directory.Id, actor));
        }, cancellationToken);

    /// <summary>
    /// Under the gate: the plan that takes one name of a file or symbolic link away. If it is the last name
    /// of a file, the file is freed in the same change (nobody has it open, or <paramref name="forceFree"/>),
    /// or orphaned.
    /// </summary>
    private (Plan<NodeView> Plan, NameGoneFate Fate) PlanUnlink(Reservation reservation, Resolved target, LinkedNode node, bool forceFree, string? actor, string crashPoint)
    {
        var parent = target.Parent!;
        reservation.Names.Add((parent.Entries, target.Name));
        reservation.Nodes.Add(node.Id);
        var now = Now();
        var before = View(node, target.Path);
        var change = new StoreChange()
            .RemoveEntry(parent.Id, target.Name)
            .SetNode(parent.Id, EntryTimes(parent, now));
        var fate = AddLastNameGone(change, reservation, node, target.Path, now, forceFree);
        return (new Plan<NodeView>(change, "unlink", target.Path, crashPoint, () =>
        {
            parent.Entries.Remove(target.Name);
            TouchDirectory(parent.Id, now);
            ApplyNameGone(node.Id, new NodeLink(parent.Id, target.Name), fate, target.Path, now);
            return before;
        }, _ =>
        {
            _notices.EntryChanged(parent.Id, target.Name, node.Id, actor);
            PublishNameGone(node.Id, fate, target.Path, actor);
        }), fate);
    }

    /// <summary>What becomes of a node when one of its names goes.</summary>
    private enum NameGoneFate
    {
        /// <summary>It keeps other names (or is a directory replaced by a rename).</summary>
        Kept,

        /// <summary>A symbolic link, or a file nobody holds: deleted now (a file's objects are reclaimed).</summary>
        Freed,

        /// <summary>A file nobody holds and no writer ever had: deleted now, with no objects anywhere to reclaim.</summary>
        FreedUnwritten,

        /// <summary>A file still open: it lives on without a name until its last handle goes.</summary>
        Orphaned,
    }

    /// <summary>Under the gate, planning: adds to <paramref name="change"/> what the loss of one name of <paramref name="node"/> stores.</summary>
    private NameGoneFate AddLastNameGone(StoreChange change, Reservation reservation, LinkedNode node, string path, DateTimeOffset now, bool forceFree)
    {
        if (node.Links.Count > 1)
        {
            change.SetNode(node.Id, NodeFields.ChangedTime(node with { Changed = Later(node.Changed, now) }));
            return NameGoneFate.Kept;
        }

        if (node is FileNode file && !forceFree && References(file.Id) > 0)
        {
            change.SetNode(file.Id, NodeFields.ChangedTime(file with { Changed = Later(file.Changed, now) })).AddOrphan(file.Id);
            return NameGoneFate.Orphaned;
        }

        change.DeleteNode(node.Id);
        if (node is not FileNode freed)
        {
            return NameGoneFate.Freed;
        }

        // Nobody holds it, and the reservation keeps every open out until the change is applied, so
        // no writer can get it between this check and the apply.
        reservation.Frees = freed.Id;
        if (_epochs.NeverWritten(freed.Id))
        {
            return NameGoneFate.FreedUnwritten;
        }

        change.AddReclaim(freed.Id, NodeFields.ReclaimValue(freed, path));
        return NameGoneFate.Freed;
    }

    /// <summary>Under the gate, applying: the node without that name.</summary>
    private void ApplyNameGone(ulong id, NodeLink link, NameGoneFate fate, string path, DateTimeOffset now)
    {
        var current = (LinkedNode)_nodes[id];
        if (fate == NameGoneFate.FreedUnwritten)
        {
            _nodes.Remove(id);
            _epochs.Forget(id);
            return;
        }

        if (fate == NameGoneFate.Freed)
        {
            _nodes.Remove(id);
            if (current is FileNode file)
            {
                _reclaimer.Enqueue(id, NodeFields.ReclaimValue(file, path));
            }

            return;
        }

        var links = current.Links.ToList();
        links.Remove(link);
        _nodes[id] = current with { Changed = Later(current.Changed, now), Links = links };
        if (fate == NameGoneFate.Orphaned)
        {
            // Its last handle may have gone while the store was written.
            FreeIfUnreferenced(id);
        }
    }

    private void PublishNameGone(ulong id, NameGoneFate fate, string path, string? actor)
    {
        if (fate is NameGoneFate.Freed or NameGoneFate.FreedUnwritten)
        {
            _notices.FileDeleted(path, id, actor, neverWritten: fate == NameGoneFate.FreedUnwritten);
        }
        else
        {
            _notices.NodeChanged(id, actor);
        }
    }
}
