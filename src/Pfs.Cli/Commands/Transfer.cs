namespace Pfs.Cli.Commands;

/// <summary>How much <c>put</c> and <c>get</c> move per call.</summary>
internal static class Transfer
{
    private const int MinChunkBytes = 4 * 1024 * 1024;
    private const int MaxChunkBytes = 64 * 1024 * 1024;

    /// <summary>
    /// A whole stripe (a block on every server), at least 4 MiB and at most 64 MiB: a call of 4 MiB
    /// on a stripe of 8 servers of 1 MiB blocks reaches only half of them, and the next call's half
    /// waits behind it. The library's write-behind and read-ahead keep the calls overlapping.
    /// </summary>
    public static int ChunkBytes(int stripeWidth, int blockSize) =>
        (int)Math.Clamp((long)stripeWidth * blockSize, MinChunkBytes, MaxChunkBytes);
}
