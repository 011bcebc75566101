using Microsoft.Extensions.Logging;
using Pfs.MetaServer.Errors;
using Pfs.MetaServer.Persistence;
using Pfs.Protocol;

namespace Pfs.MetaServer.Registry;

/// <summary>
/// The authoritative map name → file record, written through to the <see cref="IMetadataStore"/>.
/// The store is written first and the map only after it succeeded, so a store failure leaves
/// memory as it was. Update and delete of one file are serialised by its exclusive lock
/// (the caller holds it); creates of one name are serialised here.
/// </summary>
internal sealed partial class FileRegistry
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, FileRecord> _files = new(StringComparer.Ordinal);
    // A create in flight for a name: later creates of that name wait for it, then decide.
    private readonly Dictionary<string, Task> _pendingCreates = new(StringComparer.Ordinal);
    private readonly IMetadataStore _store;
    private readonly IReadOnlyList<string> _fileServers;
    private readonly TimeProvider _time;
    private readonly ILogger<FileRegistry> _logger;
    private volatile bool _loaded;

    public FileRegistry(IMetadataStore store, MetaServerOptions options, TimeProvider time, ILogger<FileRegistry> logger)
    {
        _store = store;
        _fileServers = options.FileServers;
        _time = time;
        _logger = logger;
    }

    public IMetadataStore Store => _store;

    public int FileServerCount => _fileServers.Count;

    /// <summary>The file servers in stripe order, as configured.</summary>
    public IReadOnlyList<string> FileServers => _fileServers;

    /// <summary>Reads every record from the store; the server must not answer before this completed.</summary>
    public async Task<int> LoadAsync(CancellationToken cancellationToken = default)
    {
        var records = await _store.LoadAllAsync(cancellationToken).ConfigureAwait(false);
        lock (_gate)
        {
            _files.Clear();
            foreach (var record in records)
            {
                _files[record.Name] = record;
            }

            _loaded = true;
            return _files.Count;
        }
    }

    public FileRecord? Find(string name)
    {
        EnsureLoaded();
        lock (_gate)
        {
            return _files.GetValueOrDefault(name);
        }
    }

    public IReadOnlyList<FileRecord> List()
    {
        EnsureLoaded();
        FileRecord[] files;
        lock (_gate)
        {
            files = [.. _files.Values];
        }

        Array.Sort(files, static (a, b) => string.CompareOrdinal(a.Name, b.Name));
        return files;
    }

    /// <summary>Registers a new, empty file; exactly one of several concurrent creates of a name wins.</summary>
    public async Task<FileRecord> CreateAsync(string name, int stripeWidth, int blockSize, CancellationToken cancellationToken = default)
    {
        EnsureLoaded();
        if (PfsNames.Validate(name) is { } nameError)
        {
            throw MetaException.InvalidArgument($"invalid file name: {nameError}");
        }

        if (stripeWidth < 1 || stripeWidth > _fileServers.Count)
        {
            throw MetaException.InvalidArgument($"stripe width {stripeWidth} must be from 1 to {_fileServers.Count} (the number of file servers)");
        }

        var effectiveBlockSize = blockSize == 0 ? BlockSizes.Default : blockSize;
        if (BlockSizes.Validate(effectiveBlockSize) is { } blockError)
        {
            throw MetaException.InvalidArgument(blockError);
        }

        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        while (true)
        {
            Task? inFlight;
            lock (_gate)
            {
                if (_files.ContainsKey(name))
                {
                    throw MetaException.AlreadyExists(name);
                }

                if (!_pendingCreates.TryGetValue(name, out inFlight))
                {
                    _pendingCreates.Add(name, done.Task);
                }
            }

            if (inFlight is null)
            {
                break;
            }

            // Another create of this name is talking to the store; if it fails, this one may still win.
            await inFlight.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        try
        {
            var record = await PersistNewAsync(name, stripeWidth, effectiveBlockSize, cancellationToken).ConfigureAwait(false);
            lock (_gate)
            {
                _files.Add(name, record);
            }

            return record;
        }
        finally
        {
            lock (_gate)
            {
                _pendingCreates.Remove(name);
            }

            done.SetResult();
        }
    }

    /// <summary>
    /// Records a writer's close: size max(old, <paramref name="size"/>), modified now, version + 1.
    /// The caller holds the file's write lock.
    /// </summary>
    public async Task<FileRecord> CompleteWriteAsync(FileRecord current, long size, IReadOnlyList<ulong>? pendingCommits = null)
    {
        var now = FileRecord.Truncate(_time.GetUtcNow());
        var updated = current with
        {
            Size = Math.Max(current.Size, size),
            // A clock stepping back must not make a file look older than it was.
            Modified = now > current.Modified ? now : current.Modified,
            Version = current.Version + 1,
            PendingCommits = pendingCommits ?? current.PendingCommits,
        };

        await CallStoreAsync(() => _store.UpdateAsync(updated, CancellationToken.None), "update", current.Name).ConfigureAwait(false);
        lock (_gate)
        {
            if (_files.TryGetValue(current.Name, out var inMap) && inMap.FileId == current.FileId)
            {
                _files[current.Name] = updated;
            }
        }

        return updated;
    }

    /// <summary>
    /// Forgets committed epochs that every file server has now applied, in memory only: the store keeps
    /// naming them until the next write of the record, which is harmless (a server with nothing staged
    /// for an epoch ignores it). The caller holds the file's write lock.
    /// </summary>
    public FileRecord ForgetApplied(FileRecord current, IReadOnlyCollection<ulong> applied)
    {
        if (applied.Count == 0 || current.PendingCommits.Count == 0)
        {
            return current;
        }

        var updated = current with { PendingCommits = [.. current.PendingCommits.Where(epoch => !applied.Contains(epoch))] };
        lock (_gate)
        {
            if (_files.TryGetValue(current.Name, out var inMap) && ReferenceEquals(inMap, current))
            {
                _files[current.Name] = updated;
                return updated;
            }
        }

        return current;
    }

    /// <summary>Removes a file; the caller holds its write lock.</summary>
    public async Task DeleteAsync(FileRecord record)
    {
        await CallStoreAsync(() => _store.DeleteAsync(record.Name, record.FileId, CancellationToken.None), "delete", record.Name).ConfigureAwait(false);
        lock (_gate)
        {
            if (_files.TryGetValue(record.Name, out var inMap) && inMap.FileId == record.FileId)
            {
                _files.Remove(record.Name);
            }
        }
    }

    private async Task<FileRecord> PersistNewAsync(string name, int stripeWidth, int blockSize, CancellationToken cancellationToken)
    {
        var fileId = await CallStoreAsync(() => _store.NextFileIdAsync(cancellationToken), "allocate a file id for", name).ConfigureAwait(false);
        if (fileId == 0)
        {
            throw MetaException.Unavailable("the metadata store returned file id 0");
        }

        var now = FileRecord.Truncate(_time.GetUtcNow());
        var servers = _fileServers.Take(stripeWidth).ToArray();
        var record = new FileRecord(name, fileId, 0, now, now, blockSize, stripeWidth, servers, FileRecord.InitialVersion);

        bool created;
        try
        {
            // Not cancellable: a create the store may have half-applied is worse than a late answer.
            created = await _store.CreateAsync(record, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not MetaException)
        {
            LogStoreFailed(_logger, "create", name, ex);
            await TryUndoCreateAsync(record).ConfigureAwait(false);
            throw StoreUnavailable(ex);
        }

        return created ? record : throw MetaException.AlreadyExists(name);
    }

    private async Task TryUndoCreateAsync(FileRecord record)
    {
        // The write may have landed before the failure was seen; leave no record memory does not have.
        try
        {
            await _store.DeleteAsync(record.Name, record.FileId, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogStoreFailed(_logger, "undo the create of", record.Name, ex);
        }
    }

    private async Task CallStoreAsync(Func<Task> call, string what, string name) =>
        await CallStoreAsync(async () =>
        {
            await call().ConfigureAwait(false);
            return true;
        }, what, name).ConfigureAwait(false);

    private async Task<T> CallStoreAsync<T>(Func<Task<T>> call, string what, string name)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            throw;
        }
        catch (Exception ex) when (ex is not MetaException)
        {
            LogStoreFailed(_logger, what, name, ex);
            throw StoreUnavailable(ex);
        }
    }

    private void EnsureLoaded()
    {
        if (!_loaded)
        {
            throw MetaException.Unavailable("the metadata server is still loading its registry");
        }
    }

    private static MetaException StoreUnavailable(Exception ex) =>
        MetaException.Unavailable($"the metadata store is unavailable: {ex.Message}", ex);

    [LoggerMessage(EventId = 40, EventName = "StoreFailed", Level = LogLevel.Warning, Message = "Metadata store failed to {What} file '{Name}'")]
    private static partial void LogStoreFailed(ILogger logger, string what, string name, Exception exception);
}
