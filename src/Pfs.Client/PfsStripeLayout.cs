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
    /// <summary>Number of file servers the file is striped over.</summary>
    public int StripeWidth => Servers.Count;

    /// <summary>Number of blocks the file's size covers (the last one may be partly used).</summary>
    public long BlockCount => (Size + BlockSize - 1) / BlockSize;
}
