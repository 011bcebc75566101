using Pfs.MetaServer.Registry;

namespace Pfs.MetaServer.Persistence;

/// <summary>The store without Redis: keeps nothing beyond the process, so every file is lost on restart.</summary>
public sealed class InMemoryMetadataStore : IMetadataStore
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, FileRecord> _records = new(StringComparer.Ordinal);
    // Ids start from the clock, not 1: stripe objects outlive an in-memory registry, and a file
    // created after a restart must not take the generation (and so the old bytes) of one before it.
    private long _lastFileId = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() << 16;

    public bool IsDurable => false;

    public Task<IReadOnlyList<FileRecord>> LoadAllAsync(CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            return Task.FromResult<IReadOnlyList<FileRecord>>([.. _records.Values]);
        }
    }

    public Task<ulong> NextFileIdAsync(CancellationToken cancellationToken = default) =>
        Task.FromResult((ulong)Interlocked.Increment(ref _lastFileId));

    public Task<bool> CreateAsync(FileRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        lock (_gate)
        {
            if (!_records.TryAdd(record.Name, record))
            {
                return Task.FromResult(false);
            }
        }

        // A record stored with an id of its own (seeded by a test or tool) must never be handed out again.
        var last = Interlocked.Read(ref _lastFileId);
        while ((ulong)last < record.FileId && Interlocked.CompareExchange(ref _lastFileId, (long)record.FileId, last) != last)
        {
            last = Interlocked.Read(ref _lastFileId);
        }

        return Task.FromResult(true);
    }

    public Task UpdateAsync(FileRecord record, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(record);
        lock (_gate)
        {
            if (_records.TryGetValue(record.Name, out var current) && current.FileId == record.FileId)
            {
                _records[record.Name] = record;
            }
        }

        return Task.CompletedTask;
    }

    public Task DeleteAsync(string name, ulong fileId, CancellationToken cancellationToken = default)
    {
        lock (_gate)
        {
            if (_records.TryGetValue(name, out var current) && current.FileId == fileId)
            {
                _records.Remove(name);
            }
        }

        return Task.CompletedTask;
    }
}
