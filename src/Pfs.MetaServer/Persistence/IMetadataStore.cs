namespace Pfs.MetaServer.Persistence;

/// <summary>
/// Where the namespace lives beyond the metadata server's memory (layout: see <see cref="RedisMetadataStore"/>).
/// The namespace writes through: every mutation is one <see cref="StoreChange"/>, applied atomically here
/// before memory changes and before the RPC that caused it answers; any exception from a store call is
/// reported to the client as Unavailable with nothing applied in memory. Implementations must be
/// thread-safe; the namespace never issues two changes that touch the same name or node at once.
/// </summary>
public interface IMetadataStore
{
    /// <summary>True when the namespace survives a restart of the metadata server (logged at start).</summary>
    bool IsDurable { get; }

    /// <summary>
    /// Reads the whole namespace once at start, before the server answers: migrates a version-1 store,
    /// creates the root directory of a new one, then walks from the root.
    /// </summary>
    Task<StoredNamespace> LoadAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Reserves <paramref name="count"/> new inode numbers and returns the first: never 0, never returned
    /// before (also across restarts for a durable store). Ids not handed out are simply never used.
    /// </summary>
    Task<ulong> AllocateIdsAsync(int count, CancellationToken cancellationToken = default);

    /// <summary>Applies <paramref name="change"/> atomically: all of it or none of it.</summary>
    Task ApplyAsync(StoreChange change, CancellationToken cancellationToken = default);
}
