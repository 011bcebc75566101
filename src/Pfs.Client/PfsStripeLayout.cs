namespace Pfs.Client;

/// <summary>
/// Where a file's bytes live: block <c>i</c> (bytes <c>i * BlockSize</c> up to the next block)
/// is on <c>Servers[i % Servers.Count]</c>.
/// </summary>
/// <param name="Name">The file's name.</param>
/// <param name="Size">Highest byte offset ever written + 1, as of the last writer's close.</param>
/// <param name="BlockSize">Bytes per block (the stripe unit).</param>
/// <param name="Servers">The file servers' addresses in stripe order; their count is the stripe width.</param>
public sealed record PfsStripeLayout(string Name, long Size, int BlockSize, IReadOnlyList<string> Servers)
{
    private readonly IReadOnlyList<string>? _positions;

    /// <summary>Number of file servers the file is striped over.</summary>
    public int StripeWidth => Servers.Count;

    /// <summary>Number of blocks the file's size covers (the last one may be partly used).</summary>
    public long BlockCount => (Size + BlockSize - 1) / BlockSize;

    /// <summary>
    /// M, the parity blocks per stripe; 0 for a file without parity, laid out as above. With M &gt; 0 the file's
    /// K + M <see cref="Positions"/> hold every stripe's K data blocks and M parity blocks, rotating one
    /// position per stripe: shard <c>j</c> of stripe <c>s</c> (data for <c>j &lt; K</c>) is on position
    /// <c>(j + s) % (K + M)</c>, so <see cref="Servers"/> (the first K) alone do not say where data is.
    /// </summary>
    public int ParityBlocks { get; init; }

    /// <summary>Every file server of the file in position order: K + M of them (the same as <see cref="Servers"/> when M = 0).</summary>
    public IReadOnlyList<string> Positions
    {
        get => _positions ?? Servers;
        init => _positions = value;
    }

    /// <summary>Positions whose shards are stale (missed while down, lost or damaged) until a repair rebuilds them.</summary>
    public IReadOnlyList<int> StalePositions { get; init; } = [];
}
