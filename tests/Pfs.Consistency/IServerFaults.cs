using Pfs.Client;

namespace Pfs.Consistency;

/// <summary>Connects a checker client to the cluster under test.</summary>
public delegate Task<PfsClient> CheckerConnect(string clientId, int cacheBlocks, CancellationToken cancellationToken);

/// <summary>The file-server faults a checker run may inject: kills and restarts.</summary>
public interface IServerFaults
{
    int FileServers { get; }

    /// <summary>Stops file server <paramref name="index"/> at once (SIGKILL where it is a process).</summary>
    Task KillFileServerAsync(int index);

    /// <summary>
    /// Starts file server <paramref name="index"/> again on its port; with <paramref name="emptied"/> its data
    /// directory is wiped first (a lost disk), and the call returns only once the metadata server has noticed.
    /// </summary>
    Task StartFileServerAsync(int index, bool emptied);
}
