using Pfs.MetaServer.Registry;

namespace Pfs.MetaServer.Persistence;

/// <summary>
/// Where file records live beyond the in-memory registry. The registry writes through: every
/// mutation is awaited here before the RPC that caused it answers, and any exception from a
/// store call is reported to the client as Unavailable with nothing applied in memory.
/// Implementations must be thread-safe; the registry never issues two mutations for one name at once.
/// </summary>
public interface IMetadataStore
{
    /// <summary>True when records survive a restart of the metadata server (logged at start).</summary>
    bool IsDurable { get; }

    /// <summary>Every stored file, read once at start before the server answers.</summary>
    Task<IReadOnlyList<FileRecord>> LoadAllAsync(CancellationToken cancellationToken = default);

    /// <summary>A new file id: never 0, never returned before (also across restarts for a durable store).</summary>
    Task<ulong> NextFileIdAsync(CancellationToken cancellationToken = default);

    /// <summary>Stores a new file. Returns false, storing nothing, if the name is already taken.</summary>
    Task<bool> CreateAsync(FileRecord record, CancellationToken cancellationToken = default);

    /// <summary>Replaces the stored record of <paramref name="record"/>'s name if it still has the same file id.</summary>
    Task UpdateAsync(FileRecord record, CancellationToken cancellationToken = default);

    /// <summary>Removes the stored record of <paramref name="name"/> if it has <paramref name="fileId"/>; no-op otherwise.</summary>
    Task DeleteAsync(string name, ulong fileId, CancellationToken cancellationToken = default);
}
