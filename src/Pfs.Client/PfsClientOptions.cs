using Microsoft.Extensions.Logging;

namespace Pfs.Client;

/// <summary>Settings for a <see cref="PfsClient"/>.</summary>
public sealed record PfsClientOptions
{
    /// <summary>Names this client to the metadata server; unique among the clients of a cluster.</summary>
    public required string ClientId { get; init; }

    /// <summary>The metadata server, for example <c>http://127.0.0.1:50051</c>.</summary>
    public required Uri MetaServer { get; init; }

    /// <summary>Capacity of the LRU block cache, in blocks (shared by all files of this client).</summary>
    public int CacheBlocks { get; init; } = 128;

    /// <summary>
    /// How long a call to an unreachable or unresponsive server may take before it fails with
    /// <see cref="PfsErrorCode.Unavailable"/>. Waiting for a lock held by another client is not bounded by it.
    /// </summary>
    public TimeSpan OperationTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Most payload bytes one call to a file server carries; larger transfers are split and sent in parallel.</summary>
    public int MaxCallBytes { get; init; } = 1024 * 1024;

    /// <summary>Most calls one read or write keeps in flight at once to each file server of the stripe.</summary>
    public int MaxConcurrentCalls { get; init; } = 16;

    /// <summary>
    /// Most bytes of a writer's evicted dirty blocks whose write-back a <c>WriteAsync</c> may leave
    /// in flight when it returns (write-behind), per open file; the next write that would exceed it
    /// waits, and the close waits for all of them. The blocks stay in the cache meanwhile, on top of
    /// <see cref="CacheBlocks"/>. A failed write-back is reported by a later <c>WriteAsync</c>, and
    /// its blocks stay dirty for the close to write. 0 makes every write wait for its write-backs.
    /// </summary>
    public long WriteBehindBytes { get; init; } = 16 * 1024 * 1024;

    /// <summary>Where the client logs (reconnects, failed write-backs); none by default.</summary>
    public ILoggerFactory? LoggerFactory { get; init; }
}
