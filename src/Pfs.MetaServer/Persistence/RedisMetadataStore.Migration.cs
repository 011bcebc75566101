using Pfs.MetaServer.Registry;
using StackExchange.Redis;

namespace Pfs.MetaServer.Persistence;

/// <summary>
/// From the version-1 flat layout (<c>pfs:files</c>, the set of names, and a <c>pfs:file:{name}</c> hash
/// per file) to version 2. One MULTI per file moves it into the root directory and removes its old keys,
/// so a crash halfway leaves every file in exactly one of the two layouts and the next start goes on
/// where this one stopped. <c>pfs:layout</c> is set last.
/// </summary>
public sealed partial class RedisMetadataStore
{
    /// <summary>The crash point halfway through the migration (test-only, see <see cref="CrashPoints"/>).</summary>
    internal const string MigrationCrashPoint = "migration-halfway";

    private async Task<int> MigrateAsync(IDatabase db, CancellationToken cancellationToken)
    {
        var root = NodeFields.NewRoot(DateTimeOffset.UtcNow);
        var rootKey = NodeKey(DirectoryNode.RootId);
        var filesKey = (RedisKey)(_prefix + "files");

        // The root first, and only if absent (an earlier, interrupted migration may have made it).
        var makeRoot = db.CreateTransaction();
        makeRoot.AddCondition(Condition.KeyNotExists(rootKey));
        _ = makeRoot.HashSetAsync(rootKey, ToEntries(NodeFields.All(root)));
        await makeRoot.ExecuteAsync().WaitAsync(cancellationToken).ConfigureAwait(false);

        var names = await db.SetMembersAsync(filesKey).WaitAsync(cancellationToken).ConfigureAwait(false);
        var migrated = 0;
        foreach (var member in names)
        {
            var name = member.ToString();
            var fileKey = (RedisKey)(_prefix + "file:" + name);
            var v1 = (await db.HashGetAllAsync(fileKey).WaitAsync(cancellationToken).ConfigureAwait(false))
                .ToDictionary(e => e.Name.ToString(), e => e.Value.ToString(), StringComparer.Ordinal);
            var transaction = db.CreateTransaction();
            if (FromVersion1(v1) is { } node)
            {
                _ = transaction.HashSetAsync(NodeKey(node.Id), ToEntries(NodeFields.All(node)));
                _ = transaction.HashSetAsync(DirectoryKey(DirectoryNode.RootId), name, NodeFields.Text(node.Id));
                migrated++;
            }
            else
            {
                LogUnreadable(_logger, name);
            }

            _ = transaction.KeyDeleteAsync(fileKey);
            _ = transaction.SetRemoveAsync(filesKey, name);
            await transaction.ExecuteAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
            if (migrated == (names.Length + 1) / 2)
            {
                _crashPoints?.Reached(MigrationCrashPoint);
            }
        }

        var finish = db.CreateTransaction();
        _ = finish.StringSetAsync(_layoutKey, LayoutVersion);
        _ = finish.KeyDeleteAsync(filesKey);
        await finish.ExecuteAsync().WaitAsync(cancellationToken).ConfigureAwait(false);
        if (names.Length > 0)
        {
            LogMigrated(_logger, migrated, names.Length);
        }

        return migrated;
    }

    /// <summary>A version-1 record as a version-2 file node: mode 0644, owner 0, ctime and atime its mtime.</summary>
    private static FileNode? FromVersion1(Dictionary<string, string> v1)
    {
        var fields = new Dictionary<string, string>(v1, StringComparer.Ordinal) { [NodeFields.Kind] = "file" };
        if (!NodeFields.TryULong(v1, "id", out var id) || NodeFields.Parse(id, fields) is not FileNode file)
        {
            return null;
        }

        return file with { Mode = 0x1A4, Uid = 0, Gid = 0, Changed = file.Modified, Accessed = file.Modified };
    }

    [LoggerMessage(EventId = 60, EventName = "RecordUnreadable", Level = LogLevel.Error, Message = "Skipping the version-1 record of '{Name}': it is missing fields or malformed")]
    private static partial void LogUnreadable(ILogger logger, string name);

    [LoggerMessage(EventId = 63, EventName = "LayoutMigrated", Level = LogLevel.Information, Message = "Migrated {Migrated} of {Names} file(s) from the version-1 flat store into the root directory")]
    private static partial void LogMigrated(ILogger logger, int migrated, int names);
}
