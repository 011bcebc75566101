namespace Pfs.Client;

/// <summary>What the metadata server reports about the cluster at one moment.</summary>
/// <param name="FileServers">The file servers' addresses in stripe order (a file of width w uses the first w).</param>
/// <param name="FileCount">Number of files in the namespace.</param>
/// <param name="TotalBytes">Sum of the files' sizes.</param>
/// <param name="OpenForRead">Handles held for reading, over all clients.</param>
/// <param name="OpenForWrite">Handles held for writing, over all clients.</param>
/// <param name="LocksHeld">Granted locks (each reader counts).</param>
/// <param name="LocksWaiting">Opens and deletes waiting for a lock.</param>
/// <param name="SubscribedClients">Clients connected to the metadata server (this one included).</param>
public sealed record PfsClusterStatus(
    IReadOnlyList<string> FileServers,
    long FileCount,
    long TotalBytes,
    int OpenForRead,
    int OpenForWrite,
    int LocksHeld,
    int LocksWaiting,
    int SubscribedClients)
{
    /// <summary>Files that have stale positions: with parity they need a repair (<c>pfs repair</c>); without, their blocks there were lost.</summary>
    public long DegradedFiles { get; init; }

    /// <summary>Stale positions repairs have returned to use since the metadata server started.</summary>
    public long RepairedPositions { get; init; }

    /// <summary>Repairs of files that returned any position to use since the metadata server started.</summary>
    public long RepairedFiles { get; init; }

    /// <summary>When the last of those repairs closed; null if none since the metadata server started.</summary>
    public DateTimeOffset? LastRepair { get; init; }
}
