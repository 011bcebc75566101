namespace Pfs.Client;

/// <summary>How a new file is laid out, and who owns it.</summary>
public sealed record PfsCreateOptions
{
    /// <summary>
    /// K: data blocks per stripe (from 1 to the number of servers less <see cref="ParityBlocks"/>). Without
    /// parity block <c>i</c> is on server <c>i % K</c> of the first K; with parity see <see cref="ParityBlocks"/>.
    /// </summary>
    public required int StripeWidth { get; init; }

    /// <summary>Bytes per block (the stripe unit): a power of two from 512 B to 64 MiB.</summary>
    public int BlockSize { get; init; } = 512;

    /// <summary>
    /// M: Reed-Solomon parity blocks per stripe (0 = none, at most 4). The file then uses the first K + M
    /// file servers, with parity rotating over them stripe by stripe, and every call on it succeeds while at
    /// most M of them are down (K = 1 is a mirror with M + 1 copies).
    /// </summary>
    public int ParityBlocks { get; init; }

    /// <summary>Permission bits (07777); null: 0644.</summary>
    public uint? Mode { get; init; }

    /// <summary>Owner user id.</summary>
    public uint Uid { get; init; }

    /// <summary>Owner group id.</summary>
    public uint Gid { get; init; }
}
