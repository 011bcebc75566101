using Pfs.MetaServer.Errors;
using Pfs.MetaServer.Persistence;

namespace Pfs.MetaServer.Registry;

/// <summary>
/// rename(2), atomically: one store change moves the name (and replaces or frees the target) whatever a
/// moved directory holds. Directory renames also take one global mutex (as Linux's rename mutex), so the
/// walk up from the target that refuses a move into the moved directory's own subtree cannot be raced
/// by another directory rename.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "A SemaphoreSlim whose AvailableWaitHandle is never read holds no handle: nothing to dispose.")]
internal sealed partial class Namespace
{
    private readonly SemaphoreSlim _directoryRenames = new(1, 1);

    /// <summary>Moves <paramref name="from"/> to <paramref name="to"/>, replacing what <paramref name="to"/> names as rename(2) does.</summary>
    /// <returns>The moved node under its new name, and what the target named before (if anything).</returns>
    public async Task<(NodeView Moved, NodeView? Replaced)> RenameAsync(
        ulong fromBase, string from, ulong toBase, string to, bool noReplace, string? actor, CancellationToken cancellationToken = default)
    {
        EnsureLoaded();
        bool directory;
        lock (_gate)
        {
            directory = Resolve(fromBase, from).Node is DirectoryNode;
        }

        var holdsMutex = false;
        try
        {
            while (true)
            {
                if (directory && !holdsMutex)
                {
                    await _directoryRenames.WaitAsync(cancellationToken).ConfigureAwait(false);
                    holdsMutex = true;
                }

                var mutex = holdsMutex;
                var result = await MutateAsync(reservation => PlanRename(reservation, fromBase, from, toBase, to, noReplace, mutex, actor), cancellationToken)
                    .ConfigureAwait(false);
                if (result is { } done)
                {
                    return done;
                }

                // It became a directory since the look above: start over holding the mutex.
                directory = true;
            }
        }
        finally
        {
            if (holdsMutex)
            {
                _directoryRenames.Release();
            }
        }
    }

    /// <summary>Under the gate. A null result (with no change): the source is a directory and the mutex is not held.</summary>
    private Plan<(NodeView, NodeView?)?> PlanRename(Reservation reservation, ulong fromBase, string from, ulong toBase, string to, bool noReplace, bool holdsMutex, string? actor)
    {
        var source = ResolveEntry(fromBase, from, "renamed");
        var moved = source.Node ?? throw MetaException.NotFound(source.Path);
        var target = ResolveEntry(toBase, to, "replaced by a rename");
        var (fromParent, toParent) = (source.Parent!, target.Parent!);
        var replaced = target.Node;
        if (replaced?.Id == moved.Id)
        {
            // The same name, or two names of one file: rename(2) does nothing.
            return new(null, "rename", source.Path, null, () => (View(moved, source.Path), null));
        }

        if (moved is DirectoryNode && !holdsMutex)
        {
            return new(null, "rename", source.Path, null, () => null);
        }

        CheckReplace(moved, replaced, target.Path, noReplace);
        if (moved is DirectoryNode && IsWithin(toParent, moved.Id))
        {
            throw MetaException.InvalidArgument($"'{source.Path}' cannot be moved into itself or its own subtree ('{target.Path}')");
        }

        reservation.Names.Add((fromParent.Entries, source.Name));
        reservation.Names.Add((toParent.Entries, target.Name));
        reservation.Into.Add(toParent.Entries);
        reservation.Nodes.Add(moved.Id);
        var now = Now();
        var change = new StoreChange()
            .RemoveEntry(fromParent.Id, source.Name)
            .SetEntry(toParent.Id, target.Name, moved.Id)
            .SetNode(fromParent.Id, EntryTimes(fromParent, now));
        if (toParent.Id != fromParent.Id)
        {
            change.SetNode(toParent.Id, EntryTimes(toParent, now));
        }

        change.SetNode(moved.Id, moved is DirectoryNode movedDirectory
            ? NodeFields.MovedDirectory(movedDirectory with { Parent = toParent.Id, Changed = Later(moved.Changed, now) })
            : NodeFields.ChangedTime(moved with { Changed = Later(moved.Changed, now) }));

        var fate = NameGoneFate.Kept;
        NodeView? replacedView = null;
        if (replaced is not null)
        {
            replacedView = View(replaced, target.Path);
            reservation.Nodes.Add(replaced.Id);
            if (replaced is DirectoryNode gone)
            {
                reservation.Removes = gone.Entries;
                change.DeleteNode(gone.Id).DeleteDirectory(gone.Id);
            }
            else
            {
                fate = AddLastNameGone(change, reservation, (LinkedNode)replaced, target.Path, now, forceFree: false);
            }
        }

        var newPath = target.Path;
        return new(change, "rename", source.Path, CrashPoints.RenameStored, () =>
        {
            ApplyRename(moved.Id, new NodeLink(fromParent.Id, source.Name), new NodeLink(toParent.Id, target.Name), replaced, fate, now);
            return (View(_nodes[moved.Id], newPath), replacedView);
        }, _ =>
        {
            _notices.EntryChanged(fromParent.Id, source.Name, moved.Id, actor);
            _notices.EntryChanged(toParent.Id, target.Name, replaced?.Id ?? 0, actor);
            if (replaced is LinkedNode)
            {
                PublishNameGone(replaced.Id, fate, newPath, actor);
            }
        });
    }

    private static void CheckReplace(Node moved, Node? replaced, string targetPath, bool noReplace)
    {
        if (replaced is null)
        {
            return;
        }

        if (noReplace)
        {
            throw MetaException.AlreadyExists(targetPath);
        }

        switch (moved, replaced)
        {
            case (DirectoryNode, DirectoryNode { Entries.Count: > 0 }):
                throw MetaException.DirectoryNotEmpty(targetPath);
            case (DirectoryNode, not DirectoryNode):
                throw MetaException.NotADirectory(targetPath);
            case (not DirectoryNode, DirectoryNode):
                throw MetaException.IsADirectory(targetPath);
        }
    }

    /// <summary>Under the gate, once stored: the entries, the moved node, the replaced one, both parents' times.</summary>
    private void ApplyRename(ulong movedId, NodeLink from, NodeLink to, Node? replaced, NameGoneFate fate, DateTimeOffset now)
    {
        var fromEntries = ((DirectoryNode)_nodes[from.Parent]).Entries;
        var toEntries = ((DirectoryNode)_nodes[to.Parent]).Entries;
        fromEntries.Remove(from.Name);
        if (replaced is null)
        {
            toEntries.Add(to.Name, movedId);
        }
        else
        {
            toEntries.Replace(to.Name, movedId);
        }

        var current = _nodes[movedId];
        if (current is DirectoryNode directory)
        {
            fromEntries.Subdirectories--;
            toEntries.Subdirectories++;
            _nodes[movedId] = directory with { Parent = to.Parent, Name = to.Name, Changed = Later(directory.Changed, now) };
        }
        else
        {
            var linked = (LinkedNode)current;
            var links = linked.Links.ToList();
            links[links.IndexOf(from)] = to;
            _nodes[movedId] = linked with { Links = links, Changed = Later(linked.Changed, now) };
        }

        if (replaced is DirectoryNode)
        {
            toEntries.Subdirectories--;
            _nodes.Remove(replaced.Id);
        }
        else if (replaced is not null)
        {
            ApplyNameGone(replaced.Id, to, fate, PathOf(_nodes[movedId]), now);
        }

        TouchDirectory(from.Parent, now);
        if (to.Parent != from.Parent)
        {
            TouchDirectory(to.Parent, now);
        }
    }
}
