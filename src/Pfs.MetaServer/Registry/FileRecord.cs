namespace Pfs.MetaServer.Registry;

/// <summary>
/// Everything the metadata server knows about one file, as stored. Immutable: a change is a new
/// record, so readers of the registry never see a half-updated file.
/// </summary>
public sealed record FileRecord
{
    /// <summary>The version a newly created file has.</summary>
    public const ulong InitialVersion = 1;

    /// <param name="name">The file name (valid by <see cref="Pfs.Protocol.PfsNames"/>).</param>
    /// <param name="fileId">Unique per creation, never 0; a re-created name gets a new id.</param>
    /// <param name="size">Highest byte offset ever written + 1, as of the last writer close.</param>
    /// <param name="created">Creation time, UTC, millisecond precision.</param>
    /// <param name="modified">Time of the last writer close (or creation), UTC, millisecond precision.</param>
    /// <param name="blockSize">Bytes per block (the stripe unit).</param>
    /// <param name="stripeWidth">Number of file servers the file is striped over.</param>
    /// <param name="servers">Those servers' addresses in stripe order (block i on servers[i % width]).</param>
    /// <param name="version">1 at creation, bumped at every writer close.</param>
    /// <param name="pendingCommits">See <see cref="PendingCommits"/>; null for none.</param>
    public FileRecord(string name, ulong fileId, long size, DateTimeOffset created, DateTimeOffset modified,
                      int blockSize, int stripeWidth, IReadOnlyList<string> servers, ulong version,
                      IReadOnlyList<ulong>? pendingCommits = null)
    {
        Name = name;
        FileId = fileId;
        Size = size;
        Created = created;
        Modified = modified;
        BlockSize = blockSize;
        StripeWidth = stripeWidth;
        Servers = servers;
        Version = version;
        PendingCommits = pendingCommits ?? [];
    }

    /// <summary>The file name (valid by <see cref="Pfs.Protocol.PfsNames"/>).</summary>
    public string Name { get; init; }

    /// <summary>Unique per creation, never 0; a re-created name gets a new id (the file servers' generation).</summary>
    public ulong FileId { get; init; }

    /// <summary>Highest byte offset ever written + 1, as of the last writer close.</summary>
    public long Size { get; init; }

    /// <summary>Creation time, UTC, millisecond precision.</summary>
    public DateTimeOffset Created { get; init; }

    /// <summary>Time of the last writer close (or creation), UTC, millisecond precision.</summary>
    public DateTimeOffset Modified { get; init; }

    /// <summary>Bytes per block (the stripe unit).</summary>
    public int BlockSize { get; init; }

    /// <summary>Number of file servers the file is striped over.</summary>
    public int StripeWidth { get; init; }

    /// <summary>Those servers' addresses in stripe order (block i on Servers[i % width]).</summary>
    public IReadOnlyList<string> Servers { get; init; }

    /// <summary>1 at creation, bumped at every writer close.</summary>
    public ulong Version { get; init; }

    /// <summary>
    /// Writer epochs whose close committed but whose staged bytes some file server may not have applied
    /// yet (it could not be reached at the close); every capability names them. Empty: none.
    /// </summary>
    public IReadOnlyList<ulong> PendingCommits { get; init; }

    /// <summary>Cuts a time to what the wire carries (UTC, whole milliseconds) so stored and reported times agree.</summary>
    public static DateTimeOffset Truncate(DateTimeOffset time) =>
        DateTimeOffset.FromUnixTimeMilliseconds(time.ToUnixTimeMilliseconds());
}
