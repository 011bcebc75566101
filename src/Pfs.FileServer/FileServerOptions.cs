namespace Pfs.FileServer;

/// <summary>How one file server listens and where it keeps its stripe objects.</summary>
public sealed record FileServerOptions
{
    /// <summary>TCP port; 0 picks a free one. Null takes the endpoints from configuration (ASPNETCORE_URLS, as under Aspire).</summary>
    public int? Port { get; init; }

    /// <summary>IP address to bind when <see cref="Port"/> is set; null or empty binds every interface.</summary>
    public string? BindAddress { get; init; }

    /// <summary>
    /// Root of the block store. Empty takes <c>FileServer:DataDirectory</c> from configuration,
    /// which is how Aspire hands each file server its own directory.
    /// </summary>
    public required string DataDirectory { get; init; }

    /// <summary>Delay added to every call, so a benchmark can show what fanning out to many servers hides.</summary>
    public int DelayMs { get; init; }

    /// <summary>Flush every write to stable storage, not only those whose request asks for it.</summary>
    public bool SyncWrites { get; init; }

    /// <summary>The cluster key (base64, at least 32 bytes) that capabilities are checked with; see <c>ClusterKeys</c> for the fallbacks.</summary>
    public string? ClusterKey { get; init; }

    /// <summary>A file holding the cluster key (<c>--cluster-key-file</c>).</summary>
    public string? ClusterKeyFile { get; init; }

    /// <summary>See <see cref="FileServerLimits.MaxStages"/>; null takes configuration, else the default.</summary>
    public int? MaxStages { get; init; }

    /// <summary>See <see cref="FileServerLimits.WriteBudgetBytes"/>; null takes configuration, else the default.</summary>
    public long? WriteBudgetBytes { get; init; }

    /// <summary>See <see cref="FileServerLimits.WriteBudgetWait"/>; null takes the default.</summary>
    public TimeSpan? WriteBudgetWait { get; init; }
}
