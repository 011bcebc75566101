namespace Pfs.Client;

/// <summary>
/// Settings for the <see cref="PfsClient"/> that <c>services.AddPfsClient()</c> registers. Filled
/// from configuration first (<c>Pfs:MetaServer</c>, <c>Pfs:ClientId</c>, <c>Pfs:CacheBlocks</c>,
/// and the metadata server's address from Aspire service discovery), then by the configure
/// delegate passed to <c>AddPfsClient</c>, which wins.
/// </summary>
public sealed class PfsClientSettings
{
    /// <summary>The configuration section read for these settings.</summary>
    public const string SectionName = "Pfs";

    /// <summary>The Aspire resource name of the metadata server, used when <see cref="MetaServer"/> is not set.</summary>
    public const string DefaultServiceName = "metaserver";

    /// <summary>
    /// The metadata server. When neither code nor <c>Pfs:MetaServer</c> sets it, it comes from
    /// <c>services:{ServiceName}:http:0</c> (or <c>https:0</c>), which Aspire's
    /// <c>WithReference(metaserver)</c> injects as <c>services__metaserver__http__0</c>.
    /// </summary>
    public Uri? MetaServer { get; set; }

    /// <summary>The service-discovery name of the metadata server; <c>metaserver</c> by default.</summary>
    public string ServiceName { get; set; } = DefaultServiceName;

    /// <summary>This client's id; by default the machine name and process id (unique per provider in a process).</summary>
    public string? ClientId { get; set; }

    /// <summary>Capacity of the LRU block cache, in blocks.</summary>
    public int CacheBlocks { get; set; } = 128;

    /// <summary>How long a call to an unreachable server may take before it fails.</summary>
    public TimeSpan OperationTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
