namespace Pfs.MetaServer.Registry;

/// <summary>
/// Everything the metadata server knows about one file, as stored. Immutable: a change is a new
/// record, so readers of the registry never see a half-updated file.
/// </summary>
/// <param name="Name">The file name (valid by <see cref="Pfs.Protocol.PfsNames"/>).</param>
/// <param name="FileId">Unique per creation, never 0; a re-created name gets a new id.</param>
/// <param name="Size">Highest byte offset ever written + 1, as of the last writer close.</param>
/// <param name="Created">Creation time, UTC, millisecond precision.</param>
/// <param name="Modified">Time of the last writer close (or creation), UTC, millisecond precision.</param>
/// <param name="BlockSize">Bytes per block (the stripe unit).</param>
/// <param name="StripeWidth">Number of file servers the file is striped over.</param>
/// <param name="Servers">Those servers' addresses in stripe order (block i on Servers[i % width]).</param>
/// <param name="Version">1 at creation, bumped at every writer close.</param>
/// <param name="PendingCommits">
/// Writer epochs whose close committed but whose staged bytes some file server may not have applied
/// yet (it could not be reached at the close); every capability names them. Null or empty: none.
/// </param>
public sealed record FileRecord(
    string Name,
    ulong FileId,
    long Size,
    DateTimeOffset Created,
    DateTimeOffset Modified,
    int BlockSize,
    int StripeWidth,
    IReadOnlyList<string> Servers,
    ulong Version,
    IReadOnlyList<ulong>? PendingCommits = null)
{
    /// <summary><see cref="PendingCommits"/>, never null.</summary>
    public IReadOnlyList<ulong> Pending => PendingCommits ?? [];

    /// <summary>The version a newly created file has.</summary>
    public const ulong InitialVersion = 1;

    /// <summary>Cuts a time to what the wire carries (UTC, whole milliseconds) so stored and reported times agree.</summary>
    public static DateTimeOffset Truncate(DateTimeOffset time) =>
        DateTimeOffset.FromUnixTimeMilliseconds(time.ToUnixTimeMilliseconds());
}
