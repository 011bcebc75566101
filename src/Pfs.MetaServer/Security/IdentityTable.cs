using System.Collections.Frozen;
using Pfs.Protocol.Security;

namespace Pfs.MetaServer.Security;

/// <summary>
/// The identities in memory, read from the store at the first call that needs them and kept in step
/// with every change this server makes (it is the store's only writer). Lookups take no lock.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "A SemaphoreSlim whose AvailableWaitHandle is never read holds no handle: nothing to dispose.")]
internal sealed class IdentityTable(IIdentityStore store)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private volatile FrozenDictionary<string, Identity>? _identities;

    /// <summary>The identities, loading them first if this is the first use.</summary>
    public async ValueTask<FrozenDictionary<string, Identity>> GetAsync(CancellationToken cancellationToken)
    {
        if (_identities is { } loaded)
        {
            return loaded;
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return _identities ??= (await store.LoadAsync(cancellationToken).ConfigureAwait(false)).ToFrozenDictionary(i => i.Name, StringComparer.Ordinal);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Stores and adds <paramref name="identity"/>; false if its name is taken.</summary>
    public async Task<bool> AddAsync(Identity identity, CancellationToken cancellationToken)
    {
        await GetAsync(cancellationToken).ConfigureAwait(false);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_identities!.ContainsKey(identity.Name) || !await store.AddAsync(identity, cancellationToken).ConfigureAwait(false))
            {
                return false;
            }

            _identities = _identities.Append(new(identity.Name, identity)).ToFrozenDictionary(StringComparer.Ordinal);
            return true;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Removes the identity from the store and at once from every later call's view.</summary>
    public async Task<bool> RemoveAsync(string name, CancellationToken cancellationToken)
    {
        await GetAsync(cancellationToken).ConfigureAwait(false);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var removed = await store.RemoveAsync(name, cancellationToken).ConfigureAwait(false);
            _identities = _identities!.Where(pair => pair.Key != name).ToFrozenDictionary(StringComparer.Ordinal);
            return removed;
        }
        finally
        {
            _gate.Release();
        }
    }
}
