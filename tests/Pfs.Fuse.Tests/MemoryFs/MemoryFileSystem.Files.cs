namespace Pfs.Fuse.Tests.MemoryFs;

internal sealed partial class MemoryFileSystem
{
    private const int OTrunc = 0x200;
    private const int OExcl = 0x80;

    public override ValueTask<FuseOpenResult> OpenAsync(FuseContext context, ulong nodeId, int flags)
    {
        lock (_lock)
        {
            var node = Node(nodeId);
            if (node.IsDirectory)
                throw new FuseException(Errno.EISDIR);
            // FUSE_ATOMIC_O_TRUNC: the truncation comes with the open.
            if ((flags & OTrunc) != 0 && node.Size != 0)
            {
                node.Resize(0);
                node.ModifyTime = node.ChangeTime = FuseTime.Now;
            }
            return ValueTask.FromResult(new FuseOpenResult(NewHandle(node, flags), OpenFlagsFor(node)));
        }
    }

    public override ValueTask<FuseCreateResult> CreateAsync(FuseContext context, ulong parent, string name, uint mode, uint umask, int flags)
    {
        lock (_lock)
        {
            var directory = Directory(parent);
            if (directory.Children.TryGetValue(name, out var existing))
            {
                // Another opener won the race since the kernel's lookup.
                if ((flags & OExcl) != 0)
                    throw new FuseException(Errno.EEXIST);
                if (existing.IsDirectory)
                    throw new FuseException(Errno.EISDIR);
                if ((flags & OTrunc) != 0)
                    existing.Resize(0);
                return ValueTask.FromResult(new FuseCreateResult(Entry(existing), NewHandle(existing, flags), OpenFlagsFor(existing)));
            }
            var node = NewNode(directory, name, FuseMode.Regular | (mode & FuseMode.PermissionMask), context);
            return ValueTask.FromResult(new FuseCreateResult(Entry(node), NewHandle(node, flags), OpenFlagsFor(node)));
        }
    }

    private ulong NewHandle(MemoryNode node, int flags)
    {
        var handle = _nextHandle++;
        _files[handle] = new OpenFile(node, flags);
        return handle;
    }

    private FuseOpenFlags OpenFlagsFor(MemoryNode node) =>
        DirectIoNodes.ContainsKey(node.Id) ? FuseOpenFlags.DirectIo : OpenFlags;

    private MemoryNode FileOf(ulong handle)
    {
        lock (_lock)
            return _files.TryGetValue(handle, out var file) ? file.Node : throw new FuseException(Errno.EBADF);
    }

    public override ValueTask<int> ReadAsync(FuseContext context, ulong nodeId, ulong handle, long offset, Memory<byte> buffer)
    {
        Io.Enqueue(new IoRecord("read", nodeId, offset, buffer.Length, FuseWriteFlags.None));
        var node = FileOf(handle);
        if (BlockingNodes.ContainsKey(nodeId))
            return BlockUntilInterrupted(context.CancellationToken);
        lock (_lock)
            return ValueTask.FromResult(node.Read(offset, buffer.Span));
    }

    private async ValueTask<int> BlockUntilInterrupted(CancellationToken cancellationToken)
    {
        ReadBlocked.TrySetResult();
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            ReadInterrupted.TrySetResult();
            throw;
        }
        return 0;
    }

    public override ValueTask<int> WriteAsync(FuseContext context, ulong nodeId, ulong handle, long offset, ReadOnlyMemory<byte> data, FuseWriteFlags flags)
    {
        Io.Enqueue(new IoRecord("write", nodeId, offset, data.Length, flags));
        var node = FileOf(handle);
        lock (_lock)
        {
            node.Write(offset, data.Span);
            node.ModifyTime = node.ChangeTime = FuseTime.Now;
            return ValueTask.FromResult(data.Length);
        }
    }

    public override ValueTask FlushAsync(FuseContext context, ulong nodeId, ulong handle, ulong lockOwner) => default;

    public override ValueTask FsyncAsync(FuseContext context, ulong nodeId, ulong handle, bool dataOnly)
    {
        Io.Enqueue(new IoRecord("fsync", nodeId, 0, 0, FuseWriteFlags.None));
        return default;
    }

    public override ValueTask ReleaseAsync(FuseContext context, ulong nodeId, ulong handle, int flags)
    {
        lock (_lock)
            _files.Remove(handle);
        return default;
    }

    public override ValueTask FallocateAsync(FuseContext context, ulong nodeId, ulong handle, long offset, long length, int mode)
    {
        if (mode != 0)
            throw new FuseException(Errno.EOPNOTSUPP);
        var node = FileOf(handle);
        lock (_lock)
        {
            if (offset + length > node.Size)
                node.Resize(offset + length);
            return default;
        }
    }
}
