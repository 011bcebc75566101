namespace Pfs.Client;

/// <summary>How a new file is laid out, and who owns it.</summary>
public sealed record PfsCreateOptions
{
    /// <summary>K: data blocks per stripe, on the first K file servers (from 1 to the number of servers less <see cref="ParityBlocks"/>).</summary>
    public required int StripeWidth { get; init; }

    /// <summary>Bytes per block (the stripe unit): a power of two from 512 B to 64 MiB.</summary>
    public int BlockSize { get; init; } = 512;

    /// <summary>M: parity blocks per stripe (0 = none, at most 4), on the next M file servers.</summary>
    public int ParityBlocks { get; init; }

    /// <summary>Permission bits (07777); null: 0644.</summary>
    public uint? Mode { get; init; }

    /// <summary>Owner user id.</summary>
    public uint Uid { get; init; }

    /// <summary>Owner group id.</summary>
    public uint Gid { get; init; }
}
