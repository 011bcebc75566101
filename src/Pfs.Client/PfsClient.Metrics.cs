namespace Pfs.Client;

/// <summary>What <see cref="Diagnostics.PfsMetrics"/> observes of a client.</summary>
public sealed partial class PfsClient
{
    /// <summary>Files opened through this client and not yet closed.</summary>
    internal int OpenFileCount => _openFiles.Count;
}
