namespace Pfs.Mount;

/// <summary>How a Pfs cluster is served through FUSE.</summary>
public sealed record PfsMountOptions
{
    /// <summary>The metadata server, e.g. <c>http://127.0.0.1:50051</c>.</summary>
    public required Uri MetaServer { get; init; }

    /// <summary>
    /// How long the kernel may keep names and attributes without asking. Other clients' changes
    /// arrive as notices that drop them at once, so this only bounds the damage of a lost notice.
    /// </summary>
    public TimeSpan CacheTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Stripe width (K data blocks) of files created through the mount; 0 means every file server that
    /// <see cref="ParityBlocks"/> leaves, at most 4. A width the cluster is too small for is cut to fit.
    /// </summary>
    public int StripeWidth { get; init; }

    /// <summary>
    /// Reed-Solomon parity blocks per stripe of files created through the mount (M): each survives any M of its
    /// K + M file servers lost. 0 (the default) stores the data only.
    /// </summary>
    public int ParityBlocks { get; init; }

    /// <summary>Block size (stripe unit) of files created through the mount.</summary>
    public int BlockSize { get; init; } = DefaultBlockSize;

    /// <summary>Default of <see cref="BlockSize"/>.</summary>
    public const int DefaultBlockSize = 256 * 1024;

    /// <summary>The client's block cache, in blocks (the kernel's page cache sits in front of it).</summary>
    public int CacheBlocks { get; init; } = 128;

    /// <summary>How long a call to an unreachable server may take before it fails with EIO.</summary>
    public TimeSpan OperationTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The client id shown to the metadata server; null makes one from the host and process.</summary>
    public string? ClientId { get; init; }

    /// <summary>
    /// The client identity's key the whole mount runs as (see <c>PfsClientOptions.Key</c>; without it or
    /// <see cref="KeyFile"/>, <c>PFS_KEY</c> or <c>~/.pfs/client.key</c>). Every local user of the mount acts
    /// as that identity, within its scope and mode; the kernel then checks each file's mode bits against
    /// the local user (default_permissions).
    /// </summary>
    public string? Key { get; init; }

    /// <summary>A file holding the key (readable by its owner only).</summary>
    public string? KeyFile { get; init; }

    /// <summary>The CA the servers' TLS certificates must chain to (PEM file); null trusts the system store.</summary>
    public string? TlsCa { get; init; }
}
