using Pfs.MetaServer.Persistence;

namespace Pfs.Tests.Unit.MetaServer;

/// <summary>An in-memory store that fails (or stalls) on demand, standing in for a Redis that is down or slow.</summary>
internal sealed class FlakyMetadataStore : IMetadataStore
{
    private readonly InMemoryMetadataStore _inner = new();
    private int _applyCalls;

    /// <summary>Every change fails (as a Redis that is down), leaving the store as it was.</summary>
    public bool FailChanges { get; set; }

    /// <summary>When set, changes this selects wait for <see cref="Gate"/> before reaching the store.</summary>
    public Func<StoreChange, bool>? Gated { get; set; }

    public Task? Gate { get; set; }

    /// <summary>Changes that reached the store (gated ones count when they arrive).</summary>
    public int ApplyCalls => Volatile.Read(ref _applyCalls);

    public bool IsDurable => false;

    public Task<StoredNamespace> LoadAsync(CancellationToken cancellationToken = default) => _inner.LoadAsync(cancellationToken);

    /// <summary>Ids are handed out from 1 again, as by a store that lost its counter.</summary>
    public bool LoseIdCounter { get; set; }

    public Task<ulong> AllocateIdsAsync(int count, CancellationToken cancellationToken = default) =>
        FailChanges ? throw new IOException("store down")
        : LoseIdCounter ? Task.FromResult(1UL)
        : _inner.AllocateIdsAsync(count, cancellationToken);

    public async Task ApplyAsync(StoreChange change, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _applyCalls);
        if (Gate is { } gate && (Gated?.Invoke(change) ?? true))
        {
            await gate;
        }

        if (FailChanges)
        {
            throw new IOException("store down");
        }

        await _inner.ApplyAsync(change, cancellationToken);
    }

    /// <summary>True for a change that adds <paramref name="name"/> to a directory.</summary>
    public static Func<StoreChange, bool> Adding(string name) =>
        change => change.Operations.Any(op => op.Kind == StoreOperationKind.SetEntry && op.Name == name);
}
