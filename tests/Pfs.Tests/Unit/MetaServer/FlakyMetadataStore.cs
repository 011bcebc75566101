using Pfs.MetaServer.Persistence;
using Pfs.MetaServer.Registry;

namespace Pfs.Tests.Unit.MetaServer;

/// <summary>An in-memory store that fails (or stalls) on demand, standing in for a Redis that is down or slow.</summary>
internal sealed class FlakyMetadataStore : IMetadataStore
{
    private readonly InMemoryMetadataStore _inner = new();
    private int _createCalls;

    public bool FailCreates { get; set; }

    public bool FailUpdates { get; set; }

    public bool FailDeletes { get; set; }

    /// <summary>When set, creates wait for it before going to the store.</summary>
    public Task? CreateGate { get; set; }

    public int CreateCalls => Volatile.Read(ref _createCalls);

    public bool IsDurable => false;

    public Task<IReadOnlyList<FileRecord>> LoadAllAsync(CancellationToken cancellationToken = default) =>
        _inner.LoadAllAsync(cancellationToken);

    public Task<ulong> NextFileIdAsync(CancellationToken cancellationToken = default) =>
        _inner.NextFileIdAsync(cancellationToken);

    public async Task<bool> CreateAsync(FileRecord record, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _createCalls);
        if (CreateGate is { } gate)
        {
            await gate;
        }

        return FailCreates ? throw new IOException("store down") : await _inner.CreateAsync(record, cancellationToken);
    }

    public Task UpdateAsync(FileRecord record, CancellationToken cancellationToken = default) =>
        FailUpdates ? throw new IOException("store down") : _inner.UpdateAsync(record, cancellationToken);

    public Task DeleteAsync(string name, ulong fileId, CancellationToken cancellationToken = default) =>
        FailDeletes ? throw new IOException("store down") : _inner.DeleteAsync(name, fileId, cancellationToken);
}
