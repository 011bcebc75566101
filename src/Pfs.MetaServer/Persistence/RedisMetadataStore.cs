using StackExchange.Redis;

namespace Pfs.MetaServer.Persistence;

/// <summary>
/// The namespace in Redis (or any Redis-protocol server such as Garnet). Layout version 2, under a
/// prefix (<c>pfs:</c> by default):
/// <list type="bullet">
/// <item><c>pfs:layout</c> = <c>2</c> (absent in a version-1 store, which is migrated at start);</item>
/// <item><c>pfs:ino:{id}</c>: a hash per node (<see cref="NodeFields"/>);</item>
/// <item><c>pfs:dir:{id}</c>: a hash per directory, name to child inode (absent while empty), so adding or
/// removing an entry is O(1) whatever the directory holds;</item>
/// <item><c>pfs:orphans</c>: the set of files whose last name went while they were open;</item>
/// <item><c>pfs:reclaim</c>: freed files whose stripe objects the reclaimer still has to delete;</item>
/// <item><c>pfs:next-file-id</c>: the inode counter (INCRBY), never reused, also across restarts.</item>
/// </list>
/// Every change is one MULTI/EXEC, so a crash leaves all of it or none of it.
/// </summary>
public sealed partial class RedisMetadataStore : IMetadataStore
{
    /// <summary>The key prefix used unless another is given.</summary>
    public const string DefaultKeyPrefix = "pfs:";

    /// <summary>The layout this store writes.</summary>
    public const int LayoutVersion = 2;

    private readonly IConnectionMultiplexer _redis;
    private readonly ILogger<RedisMetadataStore> _logger;
    private readonly CrashPoints? _crashPoints;
    private readonly string _prefix;
    private readonly RedisKey _layoutKey;
    private readonly RedisKey _nextIdKey;
    private readonly RedisKey _orphansKey;
    private readonly RedisKey _reclaimKey;

    public RedisMetadataStore(IConnectionMultiplexer redis, ILogger<RedisMetadataStore> logger)
        : this(redis, logger, DefaultKeyPrefix)
    {
    }

    /// <summary>A store whose keys start with <paramref name="keyPrefix"/> (tests give each store its own).</summary>
    public RedisMetadataStore(IConnectionMultiplexer redis, ILogger<RedisMetadataStore> logger, string keyPrefix)
        : this(redis, logger, keyPrefix, crashPoints: null)
    {
    }

    internal RedisMetadataStore(IConnectionMultiplexer redis, ILogger<RedisMetadataStore> logger, string keyPrefix, CrashPoints? crashPoints)
    {
        ArgumentNullException.ThrowIfNull(redis);
        ArgumentNullException.ThrowIfNull(keyPrefix);
        _redis = redis;
        _logger = logger;
        _crashPoints = crashPoints;
        _prefix = keyPrefix;
        _layoutKey = keyPrefix + "layout";
        _nextIdKey = keyPrefix + "next-file-id";
        _orphansKey = keyPrefix + "orphans";
        _reclaimKey = keyPrefix + "reclaim";
    }

    public bool IsDurable => true;

    private IDatabase Db => _redis.GetDatabase();

    public async Task<ulong> AllocateIdsAsync(int count, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        var last = await Db.StringIncrementAsync(_nextIdKey, count).WaitAsync(cancellationToken).ConfigureAwait(false);
        return checked((ulong)(last - count + 1));
    }

    public async Task ApplyAsync(StoreChange change, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(change);
        var transaction = Db.CreateTransaction();
        foreach (var operation in change.Operations)
        {
            _ = Queue(transaction, operation);
        }

        // Not cancellable once sent: a change the store may have applied is worse than a late answer.
        if (!await transaction.ExecuteAsync().ConfigureAwait(false))
        {
            throw new InvalidOperationException("the store refused the transaction");
        }
    }

    private Task Queue(ITransaction transaction, StoreOperation operation) => operation.Kind switch
    {
        StoreOperationKind.SetNode => transaction.HashSetAsync(NodeKey(operation.Id), ToEntries(operation.Fields!)),
        StoreOperationKind.DeleteNode => transaction.KeyDeleteAsync(NodeKey(operation.Id)),
        StoreOperationKind.SetEntry => transaction.HashSetAsync(DirectoryKey(operation.Id), operation.Name, NodeFields.Text(operation.Child)),
        StoreOperationKind.RemoveEntry => transaction.HashDeleteAsync(DirectoryKey(operation.Id), operation.Name),
        StoreOperationKind.DeleteDirectory => transaction.KeyDeleteAsync(DirectoryKey(operation.Id)),
        StoreOperationKind.AddOrphan => transaction.SetAddAsync(_orphansKey, NodeFields.Text(operation.Id)),
        StoreOperationKind.RemoveOrphan => transaction.SetRemoveAsync(_orphansKey, NodeFields.Text(operation.Id)),
        StoreOperationKind.AddReclaim => transaction.HashSetAsync(_reclaimKey, NodeFields.Text(operation.Id), operation.Value),
        StoreOperationKind.RemoveReclaim => transaction.HashDeleteAsync(_reclaimKey, NodeFields.Text(operation.Id)),
        _ => throw new ArgumentOutOfRangeException(nameof(operation), operation.Kind, "unknown store operation"),
    };

    private RedisKey NodeKey(ulong id) => _prefix + "ino:" + NodeFields.Text(id);

    private RedisKey DirectoryKey(ulong id) => _prefix + "dir:" + NodeFields.Text(id);

    private static HashEntry[] ToEntries(IReadOnlyList<KeyValuePair<string, string>> fields)
    {
        var entries = new HashEntry[fields.Count];
        for (var i = 0; i < entries.Length; i++)
        {
            entries[i] = new HashEntry(fields[i].Key, fields[i].Value);
        }

        return entries;
    }
}
