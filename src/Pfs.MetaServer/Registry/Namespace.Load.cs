using System.Diagnostics;
using Pfs.MetaServer.Persistence;

namespace Pfs.MetaServer.Registry;

/// <summary>
/// Loading at start: the store's nodes and entries become memory (names, links and parents rebuilt by a
/// walk from the root), then every orphan is freed (nobody can hold one after a restart) and every file
/// waiting to be reclaimed goes to the reclaimer.
/// </summary>
internal sealed partial class Namespace
{
    /// <summary>Reads the namespace from the store; the server must not answer before this completed.</summary>
    public async Task<LoadSummary> LoadAsync(CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        var stored = await _store.LoadAsync(cancellationToken).ConfigureAwait(false);
        var nodes = Build(stored);
        var orphans = stored.Orphans
            .Select(id => nodes.GetValueOrDefault(id))
            .OfType<FileNode>()
            .Where(file => file.Links.Count == 0)
            .ToList();
        foreach (var (directory, name, child) in stored.Dangling)
        {
            LogDangling(_logger, directory, name, child);
        }

        // Orphans are freed before the server answers, one change each, as at a last close.
        foreach (var orphan in orphans)
        {
            var value = NodeFields.ReclaimValue(orphan, string.Empty);
            await _store.ApplyAsync(new StoreChange().DeleteNode(orphan.Id).RemoveOrphan(orphan.Id).AddReclaim(orphan.Id, value), cancellationToken)
                .ConfigureAwait(false);
            nodes.Remove(orphan.Id);
            _reclaimer.Enqueue(orphan.Id, value);
        }

        foreach (var (id, value) in stored.Reclaim)
        {
            _reclaimer.Enqueue(id, value);
        }

        lock (_gate)
        {
            _nodes.Clear();
            foreach (var (id, node) in nodes)
            {
                _nodes.Add(id, node);
            }

            _loaded = true;
        }

        var summary = new LoadSummary(nodes.Count, nodes.Values.Count(node => node is FileNode), stored.Migrated, orphans.Count,
            stored.Reclaim.Count, clock.Elapsed);
        return summary;
    }

    /// <summary>Memory from what was stored: a walk from the root sets every directory's name and parent and every file's links.</summary>
    private Dictionary<ulong, Node> Build(StoredNamespace stored)
    {
        var nodes = new Dictionary<ulong, Node>(stored.Nodes.Count);
        foreach (var (id, fields) in stored.Nodes)
        {
            if (NodeFields.Parse(id, fields) is { } node)
            {
                nodes[id] = node is FileNode file ? OnConfiguredServers(file) : node;
            }
            else
            {
                LogUnreadable(_logger, id);
            }
        }

        if (nodes.GetValueOrDefault(DirectoryNode.RootId) is not DirectoryNode root)
        {
            throw new InvalidOperationException("the metadata store's root directory is missing or unreadable");
        }

        var pending = new Queue<DirectoryNode>([root]);
        var placed = new HashSet<ulong> { DirectoryNode.RootId };
        while (pending.TryDequeue(out var directory))
        {
            foreach (var (name, child) in stored.Entries.GetValueOrDefault(directory.Id) ?? [])
            {
                switch (nodes.GetValueOrDefault(child))
                {
                    case null:
                        // Reported as dangling by the store, or unreadable above.
                        continue;
                    case DirectoryNode subdirectory when placed.Add(child):
                        var named = subdirectory with { Parent = directory.Id, Name = name };
                        nodes[child] = named;
                        directory.Entries.Add(name, child);
                        directory.Entries.Subdirectories++;
                        pending.Enqueue(named);
                        break;
                    case DirectoryNode:
                        LogSecondName(_logger, child, directory.Id, name);
                        break;
                    case LinkedNode linked:
                        nodes[child] = linked with { Links = [.. linked.Links, new NodeLink(directory.Id, name)] };
                        directory.Entries.Add(name, child);
                        break;
                }
            }
        }

        // Reachable from nowhere and not an orphan: not expected (each mutation is atomic), so logged and left out.
        var orphans = stored.Orphans.ToHashSet();
        foreach (var (id, node) in nodes.ToList())
        {
            if (node is DirectoryNode ? !placed.Contains(id) : node is LinkedNode { Links.Count: 0 } && !orphans.Contains(id))
            {
                LogUnreachable(_logger, id);
                nodes.Remove(id);
            }
        }

        return nodes;
    }

    /// <summary>
    /// A file's servers taken from the configured list by stripe position, so a cluster whose file servers
    /// came back on other addresses (Aspire allocates new ports each run) still finds its blocks.
    /// </summary>
    private FileNode OnConfiguredServers(FileNode file)
    {
        var positions = file.StripeWidth + file.ParityBlocks;
        if (positions > _fileServers.Count)
        {
            LogTooFewServers(_logger, file.Id, positions, _fileServers.Count);
            return file;
        }

        return file.Servers.SequenceEqual(_fileServers.Take(positions)) ? file : file with { Servers = [.. _fileServers.Take(positions)] };
    }

    [LoggerMessage(EventId = 43, EventName = "NodeUnreadable", Level = LogLevel.Error, Message = "Skipping stored node {Id}: it is missing fields or malformed")]
    private static partial void LogUnreadable(ILogger logger, ulong id);

    [LoggerMessage(EventId = 44, EventName = "DanglingEntry", Level = LogLevel.Error, Message = "Directory {Directory} has an entry '{Name}' for node {Child}, which is not stored; it is left out")]
    private static partial void LogDangling(ILogger logger, ulong directory, string name, ulong child);

    [LoggerMessage(EventId = 45, EventName = "DirectorySecondName", Level = LogLevel.Error, Message = "Directory {Child} is also named '{Name}' in directory {Directory}; a directory has one name, so that entry is left out")]
    private static partial void LogSecondName(ILogger logger, ulong child, ulong directory, string name);

    [LoggerMessage(EventId = 47, EventName = "NodeUnreachable", Level = LogLevel.Error, Message = "Stored node {Id} is reachable from no directory and is no orphan; it is left out")]
    private static partial void LogUnreachable(ILogger logger, ulong id);

    [LoggerMessage(EventId = 46, EventName = "TooFewServers", Level = LogLevel.Error, Message = "File {Id} is striped over {Positions} file servers but only {Count} are configured: its blocks cannot all be reached")]
    private static partial void LogTooFewServers(ILogger logger, ulong id, int positions, int count);
}

/// <summary>What a load found, for the start-up log.</summary>
internal readonly record struct LoadSummary(int Nodes, int Files, int Migrated, int OrphansFreed, int Reclaiming, TimeSpan Elapsed);
