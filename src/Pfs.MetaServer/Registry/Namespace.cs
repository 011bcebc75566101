using Pfs.MetaServer.Errors;
using Pfs.MetaServer.Locking;
using Pfs.MetaServer.Persistence;
using Pfs.MetaServer.Services;
using Pfs.MetaServer.Sessions;
using Pfs.Protocol;

namespace Pfs.MetaServer.Registry;

/// <summary>
/// The authoritative namespace: every node in memory, written through to the <see cref="IMetadataStore"/>
/// (the store first, memory only after it succeeded, so a store failure leaves memory as it was). One
/// short lock (<c>_gate</c>, never held across an await) guards the maps; mutations that touch different
/// names run concurrently, each reserving the names and nodes it changes (see Namespace.Reservations.cs).
/// Reads (stat, lookup, listing) come from memory only. Split by operation: .Resolve.cs, .Create.cs,
/// .Remove.cs, .Rename.cs, .Attributes.cs, .Orphans.cs, .Load.cs, .Listing.cs.
/// </summary>
internal sealed partial class Namespace
{
    private readonly Lock _gate = new();
    private readonly Dictionary<ulong, Node> _nodes = [];
    private readonly IMetadataStore _store;
    private readonly IReadOnlyList<string> _fileServers;
    private readonly TimeProvider _time;
    private readonly CrashPoints _crashPoints;
    private readonly ObjectReclaimer _reclaimer;
    private readonly NamespaceNotices _notices;
    private readonly IdAllocator _ids;
    private readonly WriterEpochs _epochs;
    private readonly ILogger<Namespace> _logger;
    private volatile bool _loaded;

    public Namespace(IMetadataStore store, MetaServerOptions options, TimeProvider time, CrashPoints crashPoints,
                     ObjectReclaimer reclaimer, NamespaceNotices notices, WriterEpochs epochs, ILogger<Namespace> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _store = store;
        _fileServers = options.FileServers;
        _time = time;
        _crashPoints = crashPoints;
        _reclaimer = reclaimer;
        _notices = notices;
        _ids = new IdAllocator(store);
        _epochs = epochs;
        _logger = logger;
        Repairs = new RepairLedger(time);
    }

    public IMetadataStore Store => _store;

    /// <summary>What repairs have done since this server started.</summary>
    public RepairLedger Repairs { get; }

    /// <summary>The file servers in stripe order, as configured.</summary>
    public IReadOnlyList<string> FileServers => _fileServers;

    /// <summary>Looks a node up by path (never following symbolic links).</summary>
    /// <exception cref="MetaException">InvalidArgument, NotFound or NotADirectory.</exception>
    public NodeView Lookup(ulong baseId, string path)
    {
        EnsureLoaded();
        lock (_gate)
        {
            var resolved = Resolve(baseId, path);
            var node = resolved.Node ?? throw MetaException.NotFound(resolved.Path);
            return View(node, resolved.Path);
        }
    }

    /// <summary>The file a path (or, with an empty path, a file inode) names, for an open or a delete.</summary>
    /// <exception cref="MetaException">NotFound, NotADirectory, IsADirectory, or InvalidArgument (the root, a symbolic link).</exception>
    public NodeView LookupFile(ulong baseId, string path)
    {
        var view = Lookup(baseId, path);
        return view.Node switch
        {
            FileNode => view,
            DirectoryNode when view.Node.Id == DirectoryNode.RootId => throw MetaException.InvalidArgument("the root directory cannot be opened or deleted as a file"),
            DirectoryNode => throw MetaException.IsADirectory(view.Path),
            _ => throw MetaException.InvalidArgument($"'{view.Path}' is a symbolic link; the server never follows one"),
        };
    }

    /// <summary>A file by inode (linked or an orphan), with one of its paths ("" for an orphan); null if it is gone.</summary>
    public NodeView? FindFile(ulong id)
    {
        EnsureLoaded();
        lock (_gate)
        {
            return _nodes.GetValueOrDefault(id) is FileNode file ? View(file, PathOf(file)) : null;
        }
    }

    /// <summary>Files and their bytes, for status reports (a walk over every node: for operators, not hot paths).</summary>
    public (int Files, long Bytes) Totals()
    {
        EnsureLoaded();
        lock (_gate)
        {
            int files = 0;
            long bytes = 0;
            foreach (var node in _nodes.Values)
            {
                if (node is FileNode file)
                {
                    files++;
                    // Saturating: a report must never fail on what is stored.
                    bytes = file.Size > long.MaxValue - bytes ? long.MaxValue : bytes + file.Size;
                }
            }

            return (files, bytes);
        }
    }

    /// <summary>
    /// Degraded files (files with parity and stale positions) with ids after <paramref name="after"/>, in id
    /// order, at most <paramref name="limit"/> of them, and the number of all degraded files. A walk over
    /// every node, like <see cref="Totals"/>: repair scheduling and status reports, not hot paths.
    /// </summary>
    public (List<NodeView> Page, bool More, int Total) Degraded(ulong after, int limit)
    {
        EnsureLoaded();
        lock (_gate)
        {
            var degraded = new List<FileNode>();
            foreach (var node in _nodes.Values)
            {
                if (node is FileNode { IsDegraded: true } file)
                {
                    degraded.Add(file);
                }
            }

            var page = degraded.Where(file => file.Id > after).OrderBy(file => file.Id).Take(limit + 1).ToList();
            var more = page.Count > limit;
            return ([.. page.Take(limit).Select(file => View(file, PathOf(file)))], more, degraded.Count);
        }
    }

    /// <summary>
    /// The files that hold blocks on the file server <paramref name="address"/>: id, stripe position, path and
    /// whether it has parity. A position holds blocks if the file reaches it (a parity position as soon as the
    /// file has a byte, a data position once the file is longer than the blocks before it in its first stripe),
    /// so a small file is not listed for the servers its few blocks never reached. A walk over every node, for
    /// the rare server that lost its data.
    /// </summary>
    public List<(ulong Id, int Position, string Path, bool Parity)> FilesOn(string address)
    {
        EnsureLoaded();
        lock (_gate)
        {
            var files = new List<(ulong, int, string, bool)>();
            foreach (var node in _nodes.Values)
            {
                if (node is not FileNode file || file.Size == 0)
                {
                    continue;
                }

                for (var position = 0; position < file.Positions; position++)
                {
                    if (string.Equals(file.Servers[position], address, StringComparison.OrdinalIgnoreCase) && HoldsBlocks(file, position))
                    {
                        files.Add((file.Id, position, PathOf(file), file.ParityBlocks > 0));
                    }
                }
            }

            return files;
        }
    }

    // Block b of a file is data position b mod K of stripe b / K; every stripe has all M parity positions.
    private static bool HoldsBlocks(FileNode file, int position) =>
        position >= file.StripeWidth || (long)position * file.BlockSize < file.Size;

    /// <summary>Nodes in memory (the root included). For tests and logs.</summary>
    public int NodeCount
    {
        get
        {
            lock (_gate)
            {
                return _nodes.Count;
            }
        }
    }

    private DateTimeOffset Now() => Node.Truncate(_time.GetUtcNow());

    // A clock stepping back must not make a node look older than it was.
    private static DateTimeOffset Later(DateTimeOffset current, DateTimeOffset now) => now > current ? now : current;

    /// <summary>Under the gate: the node with what a reply shows of it.</summary>
    private static NodeView View(Node node, string path) => new(node, path, LinkCount(node));

    private static uint LinkCount(Node node) => node switch
    {
        LinkedNode linked => (uint)linked.Links.Count,
        DirectoryNode directory => 2 + (uint)directory.Entries.Subdirectories,
        _ => 1,
    };

    /// <summary>Under the gate: a path of the node (a file's first name), "" for the root or a node with no name left.</summary>
    private string PathOf(Node node)
    {
        var parts = new List<string>();
        var current = node;
        while (true)
        {
            ulong parent;
            string name;
            switch (current)
            {
                case DirectoryNode { Id: DirectoryNode.RootId }:
                    parts.Reverse();
                    return string.Join('/', parts);
                case DirectoryNode directory:
                    (parent, name) = (directory.Parent, directory.Name);
                    break;
                case LinkedNode { Links: [var first, ..] }:
                    (parent, name) = (first.Parent, first.Name);
                    break;
                default:
                    return string.Empty;
            }

            parts.Add(name);
            if (!_nodes.TryGetValue(parent, out current) || parts.Count > PfsPaths.MaxPathBytes)
            {
                return string.Empty;
            }
        }
    }

    private void EnsureLoaded()
    {
        if (!_loaded)
        {
            throw MetaException.Unavailable("the metadata server is still loading its namespace");
        }
    }

    [LoggerMessage(EventId = 40, EventName = "StoreFailed", Level = LogLevel.Warning, Message = "Metadata store failed to {What} '{Name}'")]
    private static partial void LogStoreFailed(ILogger logger, string what, string name, Exception exception);
}

/// <summary>A node as a reply shows it: with the path it was reached by and its link count.</summary>
internal readonly record struct NodeView(Node Node, string Path, uint LinkCount);
