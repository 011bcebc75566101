using Pfs.Client;
using Pfs.Fuse;

namespace Pfs.Mount;

internal sealed partial class PfsFileSystem
{
    public override async ValueTask<FuseEntry> LookupAsync(FuseContext context, ulong parent, string name)
    {
        CheckName(name);
        using var activity = Start("lookup", parent);
        var info = await Errors.Map(() => _client.StatAtAsync(parent, name, CancellationToken.None)).ConfigureAwait(false);
        if (FindNode(info.Inode) is { } node && HasOpenOrClosing(node))
        {
            // Open (or being closed) here: the metadata server's size is the last committed one, not this mount's
            // writer's, and the kernel would take it over the size its own writes gave the file.
            info = await StatNodeAsync(info.Inode, CancellationToken.None).ConfigureAwait(false);
        }

        return Entry(info);
    }

    public override async ValueTask<FuseEntry> MkdirAsync(FuseContext context, ulong parent, string name, uint mode, uint umask)
    {
        CheckName(name);
        using var activity = Start("mkdir", parent);
        var info = await Errors.Map(() => _client.CreateDirectoryAtAsync(parent, name, mode & FuseMode.PermissionMask, context.Uid, context.Gid,
            CancellationToken.None)).ConfigureAwait(false);
        return Entry(info);
    }

    public override async ValueTask RmdirAsync(FuseContext context, ulong parent, string name)
    {
        using var activity = Start("rmdir", parent);
        await Errors.Map(() => _client.DeleteDirectoryAtAsync(parent, name, CancellationToken.None)).ConfigureAwait(false);
    }

    public override async ValueTask UnlinkAsync(FuseContext context, ulong parent, string name)
    {
        using var activity = Start("unlink", parent);
        // The name goes; descriptors keep the node through its open by inode until the last RELEASE.
        using var interrupt = InterruptAfterGrace(context);
        var pinned = await PinBeforeRemovalAsync(parent, name, interrupt.Token).ConfigureAwait(false);
        var info = await Errors.Map(() => _client.UnlinkAtAsync(parent, name, CancellationToken.None)).ConfigureAwait(false);
        if (info.LinkCount <= 1)
        {
            LastNameGone(pinned, info.Inode);
        }
    }

    /// <summary>
    /// A file's last name went: its open here (if any) is an orphan's, and so is a close in progress or being retried
    /// for it (a full disk, a server out of reach; the kernel's RELEASE may come after the UNLINK), which is then given
    /// up rather than kept holding its lock and its space.
    /// </summary>
    private void LastNameGone(SharedOpen? pinned, ulong inode)
    {
        if (pinned is not null)
        {
            pinned.Orphan = true;
        }

        lock (_nodeLock)
        {
            if (_nodes.GetValueOrDefault(inode)?.Closing is { } closing)
            {
                closing.Orphan = true;
            }
        }

        foreach (var (open, node) in _unclosed)
        {
            if (node.Inode == inode)
            {
                open.Orphan = true;
            }
        }
    }

    /// <summary>
    /// Before a name of a file open here goes (unlink, or rename over it): makes sure its shared open
    /// holds a Pfs open in the mode its descriptors need, since the file is freed when it has no name
    /// and no open, and a Read open could not be moved to Write afterwards without such a gap.
    /// </summary>
    private async Task<SharedOpen?> PinBeforeRemovalAsync(ulong parent, string name, CancellationToken cancellationToken)
    {
        if (_handles.IsEmpty)
        {
            return null;
        }

        PfsFileInfo target;
        try
        {
            target = await _client.StatAtAsync(parent, name, cancellationToken).ConfigureAwait(false);
        }
        catch (PfsException)
        {
            return null;
        }

        if (target.Kind != PfsEntryKind.File || FindNode(target.Inode)?.Open is not { } open)
        {
            return null;
        }

        var writable = _handles.Values.Any(h => ReferenceEquals(h.Open, open) && h.Writable);
        await Errors.Map(async () =>
        {
            if (writable)
            {
                await open.ForWriteAsync(cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await open.ForReadAsync(cancellationToken).ConfigureAwait(false);
            }
        }).ConfigureAwait(false);
        return open;
    }

    public override async ValueTask RenameAsync(FuseContext context, ulong parent, string name, ulong newParent, string newName, FuseRenameFlags flags)
    {
        CheckName(newName);
        if ((flags & ~FuseRenameFlags.NoReplace) != 0)
        {
            throw new FuseException(Errno.EINVAL);
        }

        using var activity = Start("rename", parent);
        using var interrupt = InterruptAfterGrace(context);
        var pinned = await PinBeforeRemovalAsync(newParent, newName, interrupt.Token).ConfigureAwait(false);
        var (_, replaced) = await Errors.Map(() => _client.RenameAtAsync(parent, name, newParent, newName, (flags & FuseRenameFlags.NoReplace) != 0,
            CancellationToken.None)).ConfigureAwait(false);
        if (replaced is { LinkCount: <= 1 })
        {
            LastNameGone(pinned, replaced.Inode);
        }
    }

    public override async ValueTask<FuseEntry> SymlinkAsync(FuseContext context, ulong parent, string name, string target)
    {
        CheckName(name);
        using var activity = Start("symlink", parent);
        var info = await Errors.Map(() => _client.CreateSymbolicLinkAtAsync(parent, name, target, context.Uid, context.Gid,
            CancellationToken.None)).ConfigureAwait(false);
        return Entry(info);
    }

    public override async ValueTask<string> ReadLinkAsync(FuseContext context, ulong nodeId)
    {
        var info = await Errors.Map(() => _client.StatAtAsync(nodeId, string.Empty, CancellationToken.None)).ConfigureAwait(false);
        return info.Target ?? throw new FuseException(Errno.EINVAL);
    }

    public override async ValueTask<FuseEntry> LinkAsync(FuseContext context, ulong nodeId, ulong newParent, string newName)
    {
        CheckName(newName);
        using var activity = Start("link", nodeId);
        var info = await Errors.Map(() => _client.CreateHardLinkAtAsync(nodeId, string.Empty, newParent, newName, CancellationToken.None))
            .ConfigureAwait(false);
        return Entry(info);
    }

    public override ValueTask<FuseOpenResult> OpenDirAsync(FuseContext context, ulong nodeId, int flags)
    {
        var handle = (ulong)Interlocked.Increment(ref _nextHandle);
        _listings[handle] = new DirectoryListing();
        return ValueTask.FromResult(new FuseOpenResult(handle));
    }

    public override async ValueTask ReadDirAsync(FuseContext context, ulong nodeId, ulong handle, long offset, FuseDirectoryWriter writer)
    {
        if (!_listings.TryGetValue(handle, out var listing))
        {
            throw new FuseException(Errno.EBADF);
        }

        if (listing.Entries is null || offset == 0)
        {
            // The whole listing once per opendir (and on rewinddir), so offsets are stable indexes.
            using var activity = Start("readdir", nodeId);
            listing.Entries = await Errors.Map(() => ListAsync(nodeId, CancellationToken.None)).ConfigureAwait(false);
        }

        var entries = listing.Entries;
        for (var i = (int)offset; i < entries.Count; i++)
        {
            var (name, inode, mode) = entries[i];
            if (!writer.TryAdd(name, inode, mode, i + 1))
            {
                break;
            }
        }
    }

    public override ValueTask ReleaseDirAsync(FuseContext context, ulong nodeId, ulong handle)
    {
        _listings.TryRemove(handle, out _);
        return ValueTask.CompletedTask;
    }

    public override ValueTask FsyncDirAsync(FuseContext context, ulong nodeId, ulong handle, bool dataOnly) =>
        // Every namespace change is in the metadata store before its call returned.
        ValueTask.CompletedTask;

    private async Task<List<(string Name, ulong Inode, uint Mode)>> ListAsync(ulong directory, CancellationToken cancellationToken)
    {
        var entries = new List<(string, ulong, uint)> { (".", directory, FuseMode.Directory), ("..", directory, FuseMode.Directory) };
        var after = string.Empty;
        while (true)
        {
            var (page, cursor, more) = await _client.ListPageAtAsync(directory, string.Empty, after, cancellationToken: cancellationToken).ConfigureAwait(false);
            foreach (var info in page)
            {
                var name = info.Name[(info.Name.LastIndexOf('/') + 1)..];
                entries.Add((name, info.Inode, ToAttr(info).Mode));
            }

            if (!more)
            {
                return entries;
            }

            after = cursor;
        }
    }
}
