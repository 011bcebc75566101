namespace Pfs.Fuse.Tests.MemoryFs;

internal sealed partial class MemoryFileSystem
{
    /// <summary>OPENDIR takes a snapshot of the listing; offset cookies are positions in it (position + 1 names the next entry).</summary>
    public override ValueTask<FuseOpenResult> OpenDirAsync(FuseContext context, ulong nodeId, int flags)
    {
        lock (_lock)
        {
            var directory = Directory(nodeId);
            var listing = new List<(string, MemoryNode)>(directory.Children.Count + 2)
            {
                (".", directory),
                ("..", directory.Parent ?? directory),
            };
            foreach (var (name, child) in directory.Children)
                listing.Add((name, child));
            var handle = _nextHandle++;
            _listings[handle] = listing;
            return ValueTask.FromResult(new FuseOpenResult(handle));
        }
    }

    public override ValueTask ReadDirAsync(FuseContext context, ulong nodeId, ulong handle, long offset, FuseDirectoryWriter writer)
    {
        lock (_lock)
        {
            var listing = Listing(handle);
            for (var i = (int)offset; i < listing.Count; i++)
            {
                var (name, node) = listing[i];
                if (!_nodes.ContainsKey(node.Id))
                    continue;
                if (!writer.TryAdd(name, node.Id, node.Mode, i + 1))
                    break;
            }
            return default;
        }
    }

    public override ValueTask ReadDirPlusAsync(FuseContext context, ulong nodeId, ulong handle, long offset, FuseDirectoryPlusWriter writer)
    {
        Io.Enqueue(new IoRecord("readdirplus", nodeId, offset, 0, FuseWriteFlags.None));
        lock (_lock)
        {
            var listing = Listing(handle);
            for (var i = (int)offset; i < listing.Count; i++)
            {
                var (name, node) = listing[i];
                if (!_nodes.ContainsKey(node.Id))
                    continue;
                var dots = name is "." or "..";
                var entry = new FuseEntry(dots ? 0 : node.Id, node.Attr(), CacheTimeout, CacheTimeout);
                if (!writer.TryAdd(name, entry, i + 1))
                    break;
                // Only an accepted entry reaches the kernel, which then holds one more lookup.
                if (!dots)
                    node.Lookups++;
            }
            return default;
        }
    }

    public override ValueTask ReleaseDirAsync(FuseContext context, ulong nodeId, ulong handle)
    {
        lock (_lock)
            _listings.Remove(handle);
        return default;
    }

    public override ValueTask FsyncDirAsync(FuseContext context, ulong nodeId, ulong handle, bool dataOnly) => default;

    private List<(string Name, MemoryNode Node)> Listing(ulong handle) =>
        _listings.TryGetValue(handle, out var listing) ? listing : throw new FuseException(Errno.EBADF);
}
