namespace Pfs.Fuse.Tests.MemoryFs;

internal sealed partial class MemoryFileSystem
{
    public override ValueTask<FuseEntry> LookupAsync(FuseContext context, ulong parent, string name)
    {
        lock (_lock)
        {
            var directory = Directory(parent);
            return directory.Children.TryGetValue(name, out var child)
                ? ValueTask.FromResult(Entry(child))
                : throw new FuseException(Errno.ENOENT);
        }
    }

    public override ValueTask<FuseAttrReply> GetAttrAsync(FuseContext context, ulong nodeId, ulong? handle)
    {
        lock (_lock)
        {
            var node = handle is { } fh && _files.TryGetValue(fh, out var file) ? file.Node : Node(nodeId);
            return ValueTask.FromResult(AttrReply(node));
        }
    }

    public override ValueTask<FuseAttrReply> SetAttrAsync(FuseContext context, ulong nodeId, FuseSetAttr changes)
    {
        lock (_lock)
        {
            var node = Node(nodeId);
            var now = FuseTime.Now;
            if (changes.Has(FuseSetAttrFields.Mode))
                node.Mode = (node.Mode & FuseMode.TypeMask) | (changes.Mode & FuseMode.PermissionMask);
            if (changes.Has(FuseSetAttrFields.Uid))
                node.Uid = changes.Uid;
            if (changes.Has(FuseSetAttrFields.Gid))
                node.Gid = changes.Gid;
            if (changes.Has(FuseSetAttrFields.Size))
            {
                if (node.IsDirectory)
                    throw new FuseException(Errno.EISDIR);
                node.Resize((long)changes.Size);
                node.ModifyTime = now;
            }
            if (changes.Has(FuseSetAttrFields.AccessTime))
                node.AccessTime = changes.Has(FuseSetAttrFields.AccessTimeNow) ? now : changes.AccessTime;
            if (changes.Has(FuseSetAttrFields.ModifyTime))
                node.ModifyTime = changes.Has(FuseSetAttrFields.ModifyTimeNow) ? now : changes.ModifyTime;
            node.ChangeTime = now;
            return ValueTask.FromResult(AttrReply(node));
        }
    }

    public override ValueTask<string> ReadLinkAsync(FuseContext context, ulong nodeId)
    {
        lock (_lock)
            return ValueTask.FromResult(Node(nodeId).LinkTarget ?? throw new FuseException(Errno.EINVAL));
    }

    public override ValueTask<FuseEntry> SymlinkAsync(FuseContext context, ulong parent, string name, string target)
    {
        lock (_lock)
        {
            var node = NewNode(Directory(parent), name, FuseMode.Symlink | 0x1FF, context);
            node.LinkTarget = target;
            node.Write(0, System.Text.Encoding.UTF8.GetBytes(target));
            return ValueTask.FromResult(Entry(node));
        }
    }

    public override ValueTask<FuseEntry> MknodAsync(FuseContext context, ulong parent, string name, uint mode, uint rdev, uint umask)
    {
        if (!FuseMode.IsRegular(mode))
            throw new FuseException(Errno.EPERM);
        lock (_lock)
            return ValueTask.FromResult(Entry(NewNode(Directory(parent), name, mode, context)));
    }

    public override ValueTask<FuseEntry> MkdirAsync(FuseContext context, ulong parent, string name, uint mode, uint umask)
    {
        lock (_lock)
            return ValueTask.FromResult(Entry(NewNode(Directory(parent), name, FuseMode.Directory | (mode & FuseMode.PermissionMask), context)));
    }

    public override ValueTask UnlinkAsync(FuseContext context, ulong parent, string name)
    {
        lock (_lock)
        {
            var directory = Directory(parent);
            if (!directory.Children.TryGetValue(name, out var node))
                throw new FuseException(Errno.ENOENT);
            if (node.IsDirectory)
                throw new FuseException(Errno.EISDIR);
            Unname(directory, name, node);
            return default;
        }
    }

    public override ValueTask RmdirAsync(FuseContext context, ulong parent, string name)
    {
        lock (_lock)
        {
            var directory = Directory(parent);
            if (!directory.Children.TryGetValue(name, out var node))
                throw new FuseException(Errno.ENOENT);
            if (!node.IsDirectory)
                throw new FuseException(Errno.ENOTDIR);
            if (node.Children.Count > 0)
                throw new FuseException(Errno.ENOTEMPTY);
            Unname(directory, name, node);
            return default;
        }
    }

    public override ValueTask RenameAsync(FuseContext context, ulong parent, string name, ulong newParent, string newName, FuseRenameFlags flags)
    {
        if ((flags & ~(FuseRenameFlags.NoReplace | FuseRenameFlags.Exchange)) != 0 || flags == (FuseRenameFlags.NoReplace | FuseRenameFlags.Exchange))
            throw new FuseException(Errno.EINVAL);
        lock (_lock)
        {
            var from = Directory(parent);
            var to = Directory(newParent);
            if (!from.Children.TryGetValue(name, out var node))
                throw new FuseException(Errno.ENOENT);
            to.Children.TryGetValue(newName, out var existing);
            if (existing == node)
                return default;
            if ((flags & FuseRenameFlags.Exchange) != 0)
            {
                if (existing is null)
                    throw new FuseException(Errno.ENOENT);
                from.Children[name] = existing;
                to.Children[newName] = node;
                Reparent(existing, from, to);
                Reparent(node, to, from);
                return default;
            }
            if (existing is not null)
            {
                if ((flags & FuseRenameFlags.NoReplace) != 0)
                    throw new FuseException(Errno.EEXIST);
                if (existing.IsDirectory && !node.IsDirectory)
                    throw new FuseException(Errno.EISDIR);
                if (!existing.IsDirectory && node.IsDirectory)
                    throw new FuseException(Errno.ENOTDIR);
                if (existing.IsDirectory && existing.Children.Count > 0)
                    throw new FuseException(Errno.ENOTEMPTY);
                Unname(to, newName, existing);
            }
            from.Children.Remove(name);
            to.Children[newName] = node;
            Reparent(node, to, from);
            from.ModifyTime = to.ModifyTime = node.ChangeTime = FuseTime.Now;
            return default;
        }
    }

    /// <summary>A directory that moved keeps ".." and the link counts right.</summary>
    private static void Reparent(MemoryNode node, MemoryNode newParent, MemoryNode oldParent)
    {
        if (!node.IsDirectory || newParent == oldParent)
            return;
        node.Parent = newParent;
        oldParent.Nlink--;
        newParent.Nlink++;
    }

    public override ValueTask<FuseEntry> LinkAsync(FuseContext context, ulong nodeId, ulong newParent, string newName)
    {
        lock (_lock)
        {
            var node = Node(nodeId);
            if (node.IsDirectory)
                throw new FuseException(Errno.EPERM);
            var directory = Directory(newParent);
            if (directory.Children.ContainsKey(newName))
                throw new FuseException(Errno.EEXIST);
            directory.Children[newName] = node;
            node.Nlink++;
            node.ChangeTime = FuseTime.Now;
            return ValueTask.FromResult(Entry(node));
        }
    }

    public override ValueTask<FuseStatFs> StatFsAsync(FuseContext context, ulong nodeId)
    {
        lock (_lock)
        {
            var used = _nodes.Values.Sum(n => n.Size);
            const uint block = 4096;
            return ValueTask.FromResult(new FuseStatFs
            {
                Blocks = Capacity / block,
                BlocksFree = (ulong)((Capacity - used) / block),
                BlocksAvailable = (ulong)((Capacity - used) / block),
                Files = 1_000_000,
                FilesFree = 1_000_000 - (ulong)_nodes.Count,
                BlockSize = block,
                FragmentSize = block,
                NameLength = 255,
            });
        }
    }

    // No GETXATTR/LISTXATTR: answering them at all, even with ENODATA, costs a GETXATTR of
    // security.capability before every write(2); left unimplemented the kernel stops asking.
}
