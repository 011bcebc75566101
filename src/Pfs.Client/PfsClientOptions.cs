using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Logging;

namespace Pfs.Client;

/// <summary>
/// Settings for a <see cref="PfsClient"/>. Each one's rule stands beside it, checked by
/// <see cref="PfsClient.ConnectAsync"/> and, for <c>services.AddPfsClient()</c>, at host start.
/// <c>AddPfsClient</c> binds every setting from the <c>Pfs</c> configuration section
/// (<c>Pfs:MetaServer</c>, <c>Pfs:CacheBlocks</c>, <c>Pfs:WriteBehindBytes</c>, ...).
/// </summary>
public sealed record PfsClientOptions
{
    /// <summary>The configuration section <c>AddPfsClient</c> binds these options from.</summary>
    public const string SectionName = "Pfs";

    /// <summary>The Aspire resource name of the metadata server, the default of <see cref="ServiceName"/>.</summary>
    public const string DefaultServiceName = "metaserver";

    /// <summary>
    /// Names this client to the metadata server; unique among the clients of a cluster. Through
    /// <c>AddPfsClient</c> it defaults to the machine name and process id (unique per container in a process).
    /// </summary>
    [Required(ErrorMessage = "must not be empty")]
    public required string ClientId { get; init; }

    /// <summary>
    /// The metadata server, for example <c>http://127.0.0.1:50051</c>. Through <c>AddPfsClient</c>,
    /// when neither configuration nor code sets it, it comes from Aspire service discovery:
    /// <c>services:{ServiceName}:http:0</c> (or <c>https:0</c>), which the AppHost's
    /// <c>WithReference(metaserver)</c> injects as <c>services__metaserver__http__0</c>.
    /// </summary>
    [Required(ErrorMessage = "no Pfs metadata server address: set " + SectionName + ":MetaServer, reference the '"
        + DefaultServiceName + "' resource from the Aspire AppHost, or set PfsClientOptions.MetaServer")]
    [HttpAddress]
    public required Uri MetaServer { get; init; }

    /// <summary>Capacity of the LRU block cache, in blocks (shared by all files of this client).</summary>
    [AtLeast(1)]
    public int CacheBlocks { get; init; } = 128;

    /// <summary>
    /// How long a call to an unreachable or unresponsive server may take before it fails with
    /// <see cref="PfsErrorCode.Unavailable"/>. Waiting for a lock held by another client is not bounded by it.
    /// </summary>
    [Positive]
    public TimeSpan OperationTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Most payload bytes one call to a file server carries; larger transfers are split and sent in parallel.</summary>
    [AtLeast(512)]
    public int MaxCallBytes { get; init; } = 1024 * 1024;

    /// <summary>Most calls one read or write keeps in flight at once to each file server of the stripe.</summary>
    [AtLeast(1)]
    public int MaxConcurrentCalls { get; init; } = 16;

    /// <summary>
    /// Most bytes of a writer's evicted dirty blocks whose write-back a <c>WriteAsync</c> may leave
    /// in flight when it returns (write-behind), per open file; the next write that would exceed it
    /// waits, and the close waits for all of them. The blocks stay in the cache meanwhile, on top of
    /// <see cref="CacheBlocks"/>. A failed write-back is reported by a later <c>WriteAsync</c>, and
    /// its blocks stay dirty for the close to write. 0 makes every write wait for its write-backs.
    /// To keep every server of a stripe busy it should cover two full calls per server (the default
    /// does, for stripes of up to 8 servers and 1 MiB calls).
    /// </summary>
    [AtLeast(0)]
    public long WriteBehindBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>
    /// Read-ahead for files open for reading, in bytes per file server of the file's stripe: a
    /// sequential reader's next blocks are fetched before it asks, in a window that starts at one
    /// stripe and doubles with each sequential read up to this many bytes times the stripe width
    /// (and at most half of <see cref="CacheBlocks"/>). Random reads fetch nothing ahead. 0 turns it off.
    /// </summary>
    [AtLeast(0)]
    public int ReadAheadBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>
    /// Files with parity: how long a read waits for a file server before it also reads other
    /// shards of the stripe and decodes, taking whichever answer comes first, so one slow or dead
    /// server does not set the pace. A server that failed is skipped for a few seconds.
    /// </summary>
    [Positive]
    public TimeSpan ReadHedgeDelay { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Files with parity: how long a write of shards waits for one file server before it skips
    /// it (the file is then degraded until repaired), as long as at most M servers are skipped.
    /// </summary>
    [Positive]
    public TimeSpan ShardWriteTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The service-discovery name <c>AddPfsClient</c> finds the metadata server by when <see cref="MetaServer"/> is not set.</summary>
    public string ServiceName { get; init; } = DefaultServiceName;

    /// <summary>
    /// This client's identity key (<c>pfs1.NAME.KEY</c>, from <c>pfs admin add</c>), or null to look
    /// for one in <see cref="KeyFile"/>, then the <c>PFS_KEY</c> environment variable, then
    /// <c>~/.pfs/client.key</c>; with none found the client presents no credentials, which a cluster
    /// without identities accepts. A key file must be readable by its owner only.
    /// </summary>
    public string? Key { get; init; }

    /// <summary>A file holding this client's key (see <see cref="Key"/>); it must be readable by its owner only.</summary>
    public string? KeyFile { get; init; }

    /// <summary>
    /// PEM CA certificate(s) that the servers' TLS certificates must chain to, or null for the
    /// system's trust store (only used with https:// addresses).
    /// </summary>
    public string? TlsCa { get; init; }

    /// <summary>
    /// True (the default) to send the per-name namespace calls (create, stat, unlink, mkdir, rmdir, rename,
    /// link, symlink, set-attributes) as messages of one stream to the metadata server, which costs about a
    /// third less CPU per call on both sides than a gRPC call each; false for a unary call each.
    /// </summary>
    public bool NamespaceStream { get; init; } = true;

    /// <summary>Where the client logs (reconnects, failed write-backs); none by default, the host's through <c>AddPfsClient</c>.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>Sees the notice stream (the FUSE mount); set only through InternalsVisibleTo.</summary>
    internal IPfsNoticeObserver? NoticeObserver { get; init; }

    /// <summary>
    /// How long shard reads and writes of files with parity skip a file server after a call to it failed, before
    /// trying it again. Internal: a test that counts the bytes of a degraded read sets it long, so the count does
    /// not depend on how many retries a loaded machine's slower read lives through.
    /// </summary>
    internal TimeSpan DownServerRetry { get; init; } = TimeSpan.FromSeconds(3);
}
