namespace Pfs.Client.Striping;

/// <summary>
/// Where the shards of a file with parity live. Stripe <c>s</c> holds data blocks
/// <c>sK .. sK+K-1</c> (shards <c>0..K-1</c>) and M parity shards (<c>K..K+M-1</c>); shard
/// <c>j</c> is on position <c>(j + s) % (K + M)</c> at local offset <c>s * blockSize</c>. The
/// rotation spreads parity writes and healthy reads over every server, RAID-5 style, and every
/// position holds exactly one shard of every stripe.
/// </summary>
internal static class ErasureMath
{
    public static long StripeOf(long block, int width) => block / width;

    public static int PositionOf(long stripe, int shard, int positions) => (int)((shard + stripe) % positions);

    public static int ShardAt(long stripe, int position, int positions) => (int)(((position - (stripe % positions)) + positions) % positions);

    /// <summary>The position that holds data block <paramref name="block"/>.</summary>
    public static int PositionOfBlock(long block, int width, int positions) =>
        PositionOf(block / width, (int)(block % width), positions);
}
