using System.Collections.Concurrent;

namespace Pfs.Fuse.Tests.MemoryFs;

/// <summary>
/// A small in-memory file system behind the FUSE binding: test code, and an example of what a
/// mapping does with the API (node table with lookup counts, file handles, directory snapshots
/// with offset cookies). One lock guards everything; handlers complete synchronously except a
/// READ of a node marked as blocking, which waits for FUSE_INTERRUPT.
/// </summary>
internal sealed partial class MemoryFileSystem : FuseFileSystem
{
    public const long MaxFileSize = 1L << 30;
    private const long Capacity = 4L << 30;

    private readonly Lock _lock = new();
    private readonly Dictionary<ulong, MemoryNode> _nodes = [];
    private readonly Dictionary<ulong, OpenFile> _files = [];
    private readonly Dictionary<ulong, List<(string Name, MemoryNode Node)>> _listings = [];
    private ulong _nextNode = FuseFileSystem.RootId + 1;
    private ulong _nextHandle = 1;

    public MemoryFileSystem()
    {
        var root = new MemoryNode(RootId, FuseMode.Directory | 0x1ED, 0, 0) { Lookups = 1 };
        root.Parent = root;
        _nodes[RootId] = root;
    }

    /// <summary>How long the kernel may cache names and attributes.</summary>
    public TimeSpan CacheTimeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>FOPEN flags on every open: keep the page cache across opens, as a mount that invalidates explicitly does.</summary>
    public FuseOpenFlags OpenFlags { get; init; } = FuseOpenFlags.KeepCache;

    /// <summary>Every READ and WRITE that reached the file system, in order.</summary>
    public ConcurrentQueue<IoRecord> Io { get; } = new();

    /// <summary>Nodes opened with FOPEN_DIRECT_IO.</summary>
    public ConcurrentDictionary<ulong, bool> DirectIoNodes { get; } = new();

    /// <summary>Nodes whose READs wait until the kernel interrupts them.</summary>
    public ConcurrentDictionary<ulong, bool> BlockingNodes { get; } = new();

    /// <summary>Completes when a READ of a blocking node arrived.</summary>
    public TaskCompletionSource ReadBlocked { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when a blocked READ saw its cancellation token fire.</summary>
    public TaskCompletionSource ReadInterrupted { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes when the binding called <see cref="Destroy"/>.</summary>
    public TaskCompletionSource Destroyed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>What INIT settled.</summary>
    public FuseKernelInfo? Kernel { get; private set; }

    public override void Init(FuseKernelInfo kernel) => Kernel = kernel;

    public override void Destroy() => Destroyed.TrySetResult();

    /// <summary>The node at a path below the root ("a/b/c"), for tests.</summary>
    public ulong NodeAt(string path)
    {
        lock (_lock)
        {
            var node = _nodes[RootId];
            foreach (var part in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
                node = node.Children[part];
            return node.Id;
        }
    }

    /// <summary>The bytes of a node, for tests.</summary>
    public byte[] ContentsOf(ulong nodeId)
    {
        lock (_lock)
            return _nodes[nodeId].Contents();
    }

    /// <summary>Whether the node table still holds the node (it leaves when unnamed and forgotten).</summary>
    public bool HoldsNode(ulong nodeId)
    {
        lock (_lock)
            return _nodes.ContainsKey(nodeId);
    }

    /// <summary>The attributes of a node as the file system holds them, for tests.</summary>
    public FuseAttr AttrOf(ulong nodeId)
    {
        lock (_lock)
            return _nodes[nodeId].Attr();
    }

    /// <summary>Removes a name without the kernel knowing, as another client would.</summary>
    public ulong RemoveBehindKernel(ulong parent, string name)
    {
        lock (_lock)
        {
            var directory = _nodes[parent];
            var node = directory.Children[name];
            Unname(directory, name, node);
            return node.Id;
        }
    }

    /// <summary>Changes bytes without the kernel knowing, as another client of a shared file system would.</summary>
    public void OverwriteBehindKernel(ulong nodeId, long offset, ReadOnlySpan<byte> data)
    {
        lock (_lock)
            _nodes[nodeId].Write(offset, data);
    }

    private MemoryNode Node(ulong nodeId) =>
        _nodes.TryGetValue(nodeId, out var node) ? node : throw new FuseException(Errno.ENOENT);

    private MemoryNode Directory(ulong nodeId)
    {
        var node = Node(nodeId);
        return node.IsDirectory ? node : throw new FuseException(Errno.ENOTDIR);
    }

    /// <summary>An entry the kernel will hold: counts one lookup.</summary>
    private FuseEntry Entry(MemoryNode node)
    {
        node.Lookups++;
        return new FuseEntry(node.Id, node.Attr(), CacheTimeout, CacheTimeout);
    }

    private FuseAttrReply AttrReply(MemoryNode node) => new(node.Attr(), CacheTimeout);

    private MemoryNode NewNode(MemoryNode parent, string name, uint mode, FuseContext context)
    {
        if (name.Length > 255)
            throw new FuseException(Errno.ENAMETOOLONG);
        if (parent.Children.ContainsKey(name))
            throw new FuseException(Errno.EEXIST);
        var node = new MemoryNode(_nextNode++, mode, context.Uid, context.Gid);
        _nodes[node.Id] = node;
        parent.Children[name] = node;
        if (node.IsDirectory)
        {
            node.Parent = parent;
            parent.Nlink++;
        }
        parent.ModifyTime = parent.ChangeTime = FuseTime.Now;
        return node;
    }

    /// <summary>A name is gone: the node leaves the table once the kernel forgot it too.</summary>
    private void Unname(MemoryNode parent, string name, MemoryNode node)
    {
        parent.Children.Remove(name);
        parent.ModifyTime = parent.ChangeTime = FuseTime.Now;
        node.ChangeTime = FuseTime.Now;
        if (node.IsDirectory)
        {
            parent.Nlink--;
            node.Nlink = 0;
        }
        else
        {
            node.Nlink--;
        }
        DropIfUnused(node);
    }

    private void DropIfUnused(MemoryNode node)
    {
        if (node.Nlink == 0 && node.Lookups == 0 && node.Id != RootId)
            _nodes.Remove(node.Id);
    }

    public override void Forget(ulong nodeId, ulong count)
    {
        lock (_lock)
        {
            if (!_nodes.TryGetValue(nodeId, out var node))
                return;
            node.Lookups -= Math.Min(count, node.Lookups);
            DropIfUnused(node);
        }
    }

    /// <summary>An open file: the node itself, so an unlinked file keeps its bytes while open.</summary>
    private sealed record OpenFile(MemoryNode Node, int Flags);
}

/// <summary>One READ or WRITE as the file system received it.</summary>
internal readonly record struct IoRecord(string Operation, ulong NodeId, long Offset, int Size, FuseWriteFlags Flags);
