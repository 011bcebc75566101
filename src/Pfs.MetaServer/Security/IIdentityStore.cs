using Pfs.Protocol.Security;

namespace Pfs.MetaServer.Security;

/// <summary>
/// Where client identities live: beside the metadata (Redis/Garnet), or in memory with it. Each
/// holds a verifier (the public half of the client's key), never the key.
/// </summary>
internal interface IIdentityStore
{
    Task<IReadOnlyList<Identity>> LoadAsync(CancellationToken cancellationToken);

    /// <summary>Adds <paramref name="identity"/>; false if its name is taken.</summary>
    Task<bool> AddAsync(Identity identity, CancellationToken cancellationToken);

    /// <summary>Removes the identity named <paramref name="name"/>; false if there was none.</summary>
    Task<bool> RemoveAsync(string name, CancellationToken cancellationToken);
}

/// <summary>Identities of a metadata server without Redis: gone at restart, like its metadata.</summary>
internal sealed class InMemoryIdentityStore : IIdentityStore
{
    private readonly Dictionary<string, Identity> _identities = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();

    public Task<IReadOnlyList<Identity>> LoadAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult<IReadOnlyList<Identity>>([.. _identities.Values.Select(identity => identity.Clone())]);
        }
    }

    public Task<bool> AddAsync(Identity identity, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(_identities.TryAdd(identity.Name, identity.Clone()));
        }
    }

    public Task<bool> RemoveAsync(string name, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            return Task.FromResult(_identities.Remove(name));
        }
    }
}
