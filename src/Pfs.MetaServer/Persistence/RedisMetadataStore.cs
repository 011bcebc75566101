using System.Globalization;
using Microsoft.Extensions.Logging;
using Pfs.MetaServer.Registry;
using StackExchange.Redis;

namespace Pfs.MetaServer.Persistence;

/// <summary>
/// File records in Redis (or any Redis-protocol server such as Garnet). Layout, under a prefix
/// (<c>pfs:</c> by default):
/// <list type="bullet">
/// <item><c>pfs:file:{name}</c>: a hash per file (id, size, created, modified, block, width, servers, version);</item>
/// <item><c>pfs:files</c>: the set of names, so a start needs no SCAN;</item>
/// <item><c>pfs:next-file-id</c>: the file-id counter (INCR), never reused, also across restarts.</item>
/// </list>
/// Every mutation is one MULTI/EXEC guarded by a WATCH condition (the name is free; the stored id is
/// the caller's), so a failure leaves either all of it or none of it, and a stale caller never
/// overwrites a newer file of the same name.
/// </summary>
public sealed partial class RedisMetadataStore : IMetadataStore
{
    /// <summary>The key prefix used unless another is given.</summary>
    public const string DefaultKeyPrefix = "pfs:";

    // A WATCH can only fail for a change to the same file's key, which the registry serialises;
    // a few retries cover a mutation from outside (a tool) landing in between.
    private const int MaxAttempts = 3;

    private readonly IConnectionMultiplexer _redis;
    private readonly IReadOnlyList<string> _fileServers;
    private readonly ILogger<RedisMetadataStore> _logger;
    private readonly string _prefix;
    private readonly RedisKey _namesKey;
    private readonly RedisKey _nextIdKey;

    public RedisMetadataStore(IConnectionMultiplexer redis, MetaServerOptions options, ILogger<RedisMetadataStore> logger)
        : this(redis, options, logger, DefaultKeyPrefix)
    {
    }

    /// <summary>A store whose keys start with <paramref name="keyPrefix"/> (tests give each store its own).</summary>
    public RedisMetadataStore(IConnectionMultiplexer redis, MetaServerOptions options, ILogger<RedisMetadataStore> logger, string keyPrefix)
    {
        ArgumentNullException.ThrowIfNull(redis);
        ArgumentNullException.ThrowIfNull(options);
        _redis = redis;
        _fileServers = options.FileServers;
        _logger = logger;
        _prefix = keyPrefix;
        _namesKey = keyPrefix + "files";
        _nextIdKey = keyPrefix + "next-file-id";
    }

    public bool IsDurable => true;

    private IDatabase Db => _redis.GetDatabase();

    /// <summary>
    /// Every stored file. A file's servers are taken from the configured list by stripe position
    /// (block i on server i % width of the first width servers), so a cluster whose file servers
    /// came back on other addresses (Aspire allocates new ports each run) still finds its blocks.
    /// </summary>
    public async Task<IReadOnlyList<FileRecord>> LoadAllAsync(CancellationToken cancellationToken = default)
    {
        var db = Db;
        // Ids start from the clock on an empty store: stripe objects on the file servers outlive a
        // wiped Redis, and a new file must not take the generation (and the bytes) of an old one.
        await db.StringSetAsync(_nextIdKey, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() << 16, when: When.NotExists)
            .WaitAsync(cancellationToken).ConfigureAwait(false);
        var names = await db.SetMembersAsync(_namesKey).WaitAsync(cancellationToken).ConfigureAwait(false);
        var reads = names.Select(member => (string)member!)
            .Select(name => (Name: name, Fields: db.HashGetAllAsync(FileKey(name))))
            .ToList();
        await Task.WhenAll(reads.Select(r => r.Fields)).WaitAsync(cancellationToken).ConfigureAwait(false);

        var records = new List<FileRecord>(reads.Count);
        var moved = 0;
        foreach (var (name, fields) in reads)
        {
            var entries = await fields.ConfigureAwait(false);
            if (Parse(name, entries) is not { } record)
            {
                LogUnreadable(_logger, name);
                continue;
            }

            if (record.StripeWidth <= _fileServers.Count && !record.Servers.SequenceEqual(_fileServers.Take(record.StripeWidth)))
            {
                record = record with { Servers = [.. _fileServers.Take(record.StripeWidth)] };
                moved++;
            }
            else if (record.StripeWidth > _fileServers.Count)
            {
                LogTooFewServers(_logger, name, record.StripeWidth, _fileServers.Count);
            }

            records.Add(record);
        }

        if (moved > 0)
        {
            LogServersMoved(_logger, moved);
        }

        return records;
    }

    public async Task<ulong> NextFileIdAsync(CancellationToken cancellationToken = default)
    {
        var id = await Db.StringIncrementAsync(_nextIdKey).WaitAsync(cancellationToken).ConfigureAwait(false);
        return checked((ulong)id);
    }

    public async Task<bool> CreateAsync(FileRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        var key = FileKey(record.Name);
        for (var attempt = 1; ; attempt++)
        {
            var transaction = Db.CreateTransaction();
            var free = transaction.AddCondition(Condition.KeyNotExists(key));
            _ = transaction.HashSetAsync(key, ToEntries(record));
            _ = transaction.SetAddAsync(_namesKey, record.Name);
            if (await transaction.ExecuteAsync().ConfigureAwait(false))
            {
                // A record stored with an id of its own (seeded by a test or a tool) must never be handed out again.
                await RaiseNextIdAsync(record.FileId).ConfigureAwait(false);
                return true;
            }

            if (!free.WasSatisfied || attempt == MaxAttempts)
            {
                return false;
            }
        }
    }

    public Task UpdateAsync(FileRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        var key = FileKey(record.Name);
        return ExecuteIfSameFileAsync(key, record.FileId, transaction => transaction.HashSetAsync(key, ToEntries(record)));
    }

    public Task DeleteAsync(string name, ulong fileId, CancellationToken cancellationToken = default)
    {
        var key = FileKey(name);
        return ExecuteIfSameFileAsync(key, fileId, transaction =>
        {
            _ = transaction.KeyDeleteAsync(key);
            return transaction.SetRemoveAsync(_namesKey, name);
        });
    }

    /// <summary>Runs <paramref name="queue"/>'s commands atomically if the file under <paramref name="key"/> still has <paramref name="fileId"/>.</summary>
    private async Task ExecuteIfSameFileAsync(RedisKey key, ulong fileId, Func<ITransaction, Task> queue)
    {
        for (var attempt = 1; ; attempt++)
        {
            var transaction = Db.CreateTransaction();
            var same = transaction.AddCondition(Condition.HashEqual(key, Fields.Id, Text(fileId)));
            _ = queue(transaction);
            if (await transaction.ExecuteAsync().ConfigureAwait(false) || !same.WasSatisfied || attempt == MaxAttempts)
            {
                // Not the same file (deleted, or re-created under a new id): nothing to do, by contract.
                return;
            }
        }
    }

    private async Task RaiseNextIdAsync(ulong fileId)
    {
        var current = await Db.StringGetAsync(_nextIdKey).ConfigureAwait(false);
        if (!current.HasValue || (ulong)current < fileId)
        {
            // Only ever raises it: a concurrent INCR that got past fileId wins (GT-like, via a guarded SET).
            var transaction = Db.CreateTransaction();
            transaction.AddCondition(current.HasValue ? Condition.StringEqual(_nextIdKey, current) : Condition.KeyNotExists(_nextIdKey));
            _ = transaction.StringSetAsync(_nextIdKey, Text(fileId));
            await transaction.ExecuteAsync().ConfigureAwait(false);
        }
    }

    private RedisKey FileKey(string name) => _prefix + "file:" + name;

    private static HashEntry[] ToEntries(FileRecord record) =>
    [
        new(Fields.Id, Text(record.FileId)),
        new(Fields.Size, record.Size),
        new(Fields.Created, record.Created.ToUnixTimeMilliseconds()),
        new(Fields.Modified, record.Modified.ToUnixTimeMilliseconds()),
        new(Fields.BlockSize, record.BlockSize),
        new(Fields.StripeWidth, record.StripeWidth),
        new(Fields.Servers, string.Join(' ', record.Servers)),
        new(Fields.Version, Text(record.Version)),
        // Always written (also empty), so an update clears what an earlier one stored.
        new(Fields.PendingCommits, string.Join(' ', record.PendingCommits.Select(Text))),
    ];

    private static FileRecord? Parse(string name, HashEntry[] entries)
    {
        if (entries.Length == 0)
        {
            return null;
        }

        var map = entries.ToDictionary(e => (string)e.Name!, e => (string?)e.Value, StringComparer.Ordinal);
        if (!TryULong(map, Fields.Id, out var id) || id == 0
            || !TryLong(map, Fields.Size, out var size)
            || !TryLong(map, Fields.Created, out var created)
            || !TryLong(map, Fields.Modified, out var modified)
            || !TryLong(map, Fields.BlockSize, out var blockSize)
            || !TryLong(map, Fields.StripeWidth, out var width) || width < 1
            || !TryULong(map, Fields.Version, out var version)
            || !map.TryGetValue(Fields.Servers, out var servers) || servers is null)
        {
            return null;
        }

        return new FileRecord(name, id, size,
            DateTimeOffset.FromUnixTimeMilliseconds(created),
            DateTimeOffset.FromUnixTimeMilliseconds(modified),
            (int)blockSize, (int)width,
            servers.Split(' ', StringSplitOptions.RemoveEmptyEntries),
            version,
            ParseEpochs(map.GetValueOrDefault(Fields.PendingCommits)));
    }

    // Missing (a record from before staged writes) or empty: none (null). An unreadable entry is skipped.
    private static ulong[]? ParseEpochs(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        var epochs = new List<ulong>();
        foreach (var part in text.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (ulong.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var epoch))
            {
                epochs.Add(epoch);
            }
        }

        return epochs.Count == 0 ? null : [.. epochs];
    }

    private static bool TryLong(Dictionary<string, string?> map, string field, out long value) =>
        long.TryParse(map.GetValueOrDefault(field), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);

    private static bool TryULong(Dictionary<string, string?> map, string field, out ulong value) =>
        ulong.TryParse(map.GetValueOrDefault(field), NumberStyles.None, CultureInfo.InvariantCulture, out value);

    // Ids as decimal text, so the WATCH condition compares exactly what HSET stored.
    private static string Text(ulong value) => value.ToString(CultureInfo.InvariantCulture);

    private static class Fields
    {
        public const string Id = "id";
        public const string Size = "size";
        public const string Created = "created";
        public const string Modified = "modified";
        public const string BlockSize = "block";
        public const string StripeWidth = "width";
        public const string Servers = "servers";
        public const string Version = "version";
        public const string PendingCommits = "pending";
    }

    [LoggerMessage(EventId = 60, EventName = "RecordUnreadable", Level = LogLevel.Error, Message = "Skipping the stored record of '{Name}': it is missing fields or malformed")]
    private static partial void LogUnreadable(ILogger logger, string name);

    [LoggerMessage(EventId = 61, EventName = "TooFewServers", Level = LogLevel.Error, Message = "File '{Name}' is striped over {Width} file servers but only {Count} are configured: its blocks cannot all be reached")]
    private static partial void LogTooFewServers(ILogger logger, string name, int width, int count);

    [LoggerMessage(EventId = 62, EventName = "ServersMoved", Level = LogLevel.Information, Message = "{Count} file(s) were stored with other file-server addresses; they now use the configured servers at the same stripe positions")]
    private static partial void LogServersMoved(ILogger logger, int count);
}
