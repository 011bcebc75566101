using System.Globalization;
using Pfs.MetaServer.Registry;
using StackExchange.Redis;

namespace Pfs.MetaServer.Persistence;

/// <summary>Loading: a version-1 store is migrated first, a new one gets its root, then a walk from the root.</summary>
public sealed partial class RedisMetadataStore
{
    // Replies in flight at once while walking: enough to hide the round trip, bounded in memory.
    private const int WalkBatch = 4096;

    // A directory with more entries than this is read in HSCAN pages rather than in one HGETALL reply.
    private const int ScanAbove = 50_000;

    public async Task<StoredNamespace> LoadAsync(CancellationToken cancellationToken = default)
    {
        var db = Db;
        // Ids start from the clock on an empty store: stripe objects on the file servers outlive a
        // wiped Redis, and a new file must not take the generation (and the bytes) of an old one.
        await db.StringSetAsync(_nextIdKey, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() << 16, when: When.NotExists)
            .WaitAsync(cancellationToken).ConfigureAwait(false);

        var loaded = new StoredNamespace();
        var layout = await db.StringGetAsync(_layoutKey).WaitAsync(cancellationToken).ConfigureAwait(false);
        if (!layout.HasValue)
        {
            loaded.Migrated = await MigrateAsync(db, cancellationToken).ConfigureAwait(false);
        }
        else if (layout != LayoutVersion)
        {
            throw new InvalidOperationException($"the metadata store has layout {layout}; this server reads layout {LayoutVersion} (and migrates 1)");
        }

        await WalkAsync(db, loaded, cancellationToken).ConfigureAwait(false);

        foreach (var member in await db.SetMembersAsync(_orphansKey).WaitAsync(cancellationToken).ConfigureAwait(false))
        {
            if (ulong.TryParse(member.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id != 0)
            {
                loaded.Orphans.Add(id);
            }
        }

        await ReadNodesAsync(db, loaded.Orphans, loaded, cancellationToken).ConfigureAwait(false);
        foreach (var entry in await db.HashGetAllAsync(_reclaimKey).WaitAsync(cancellationToken).ConfigureAwait(false))
        {
            if (ulong.TryParse(entry.Name.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var id) && id != 0)
            {
                loaded.Reclaim[id] = entry.Value.ToString();
            }
        }

        return loaded;
    }

    /// <summary>Breadth first from the root: each level's directories, then their children's nodes, pipelined.</summary>
    private async Task WalkAsync(IDatabase db, StoredNamespace loaded, CancellationToken cancellationToken)
    {
        await ReadNodesAsync(db, [DirectoryNode.RootId], loaded, cancellationToken).ConfigureAwait(false);
        if (!loaded.Nodes.ContainsKey(DirectoryNode.RootId))
        {
            throw new InvalidOperationException("the metadata store has a layout but no root directory");
        }

        var level = new List<ulong> { DirectoryNode.RootId };
        var seen = new HashSet<ulong> { DirectoryNode.RootId };
        while (level.Count > 0)
        {
            var children = new List<ulong>();
            foreach (var batch in level.Chunk(WalkBatch))
            {
                var sizes = batch.Select(id => db.HashLengthAsync(DirectoryKey(id))).ToArray();
                await Task.WhenAll(sizes).WaitAsync(cancellationToken).ConfigureAwait(false);
                var reads = new List<(ulong Directory, Task<HashEntry[]> Entries)>();
                for (var i = 0; i < batch.Length; i++)
                {
                    var size = await sizes[i].ConfigureAwait(false);
                    if (size > ScanAbove)
                    {
                        loaded.Entries[batch[i]] = await ScanDirectoryAsync(db, batch[i], (int)size, cancellationToken).ConfigureAwait(false);
                    }
                    else if (size > 0)
                    {
                        reads.Add((batch[i], db.HashGetAllAsync(DirectoryKey(batch[i]))));
                    }
                }

                await Task.WhenAll(reads.Select(read => read.Entries)).WaitAsync(cancellationToken).ConfigureAwait(false);
                foreach (var (directory, entries) in reads)
                {
                    loaded.Entries[directory] = [.. (await entries.ConfigureAwait(false)).Select(Entry)];
                }

                foreach (var directory in batch)
                {
                    foreach (var (_, child) in loaded.Entries.GetValueOrDefault(directory) ?? [])
                    {
                        // A file with several names is read once.
                        if (seen.Add(child))
                        {
                            children.Add(child);
                        }
                    }
                }
            }

            await ReadNodesAsync(db, children, loaded, cancellationToken).ConfigureAwait(false);
            level = [.. children.Where(child => loaded.Nodes.TryGetValue(child, out var fields)
                && fields.GetValueOrDefault(NodeFields.Kind) == "dir")];
        }

        foreach (var (directory, entries) in loaded.Entries)
        {
            foreach (var (name, child) in entries)
            {
                if (!loaded.Nodes.ContainsKey(child))
                {
                    loaded.Dangling.Add((directory, name, child));
                }
            }
        }
    }

    private async Task<List<KeyValuePair<string, ulong>>> ScanDirectoryAsync(IDatabase db, ulong directory, int size, CancellationToken cancellationToken)
    {
        var entries = new List<KeyValuePair<string, ulong>>(size);
        await foreach (var entry in db.HashScanAsync(DirectoryKey(directory), pageSize: 10_000).WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            entries.Add(Entry(entry));
        }

        return entries;
    }

    private async Task ReadNodesAsync(IDatabase db, IReadOnlyList<ulong> ids, StoredNamespace loaded, CancellationToken cancellationToken)
    {
        foreach (var batch in ids.Chunk(WalkBatch))
        {
            var reads = batch.Select(id => (Id: id, Fields: db.HashGetAllAsync(NodeKey(id)))).ToArray();
            await Task.WhenAll(reads.Select(read => read.Fields)).WaitAsync(cancellationToken).ConfigureAwait(false);
            foreach (var (id, fields) in reads)
            {
                var entries = await fields.ConfigureAwait(false);
                if (entries.Length > 0)
                {
                    loaded.Nodes[id] = entries.ToDictionary(e => e.Name.ToString(), e => e.Value.ToString(), StringComparer.Ordinal);
                }
            }
        }
    }

    // An unparsable child id reads as 0, which names no node: the entry is reported as dangling.
    private static KeyValuePair<string, ulong> Entry(HashEntry entry) =>
        new(entry.Name.ToString(), ulong.TryParse(entry.Value.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : 0);
}
