namespace Pfs.Client.Striping;

/// <summary>
/// Where blocks live. Block <c>i</c> of a file striped over <c>w</c> servers is on server
/// <c>i % w</c>, at offset <c>(i / w) * blockSize</c> of that server's stripe object, so the
/// blocks <c>i, i + w, i + 2w, ...</c> are back to back there and travel in one range.
/// </summary>
internal static class StripeMath
{
    public static int ServerOf(long block, int width) => (int)(block % width);

    public static long LocalOffset(long block, int width, int blockSize) => block / width * blockSize;

    /// <summary>The first and last block touched by <paramref name="count"/> (&gt; 0) bytes at <paramref name="offset"/>.</summary>
    public static (long First, long Last) BlocksOf(long offset, long count, int blockSize) =>
        (offset / blockSize, (offset + count - 1) / blockSize);

    /// <summary>
    /// Groups blocks into calls: per server, blocks that are back to back there form one run,
    /// and runs are packed into calls of at most <paramref name="maxCallBytes"/> (a single block
    /// larger than that gets a call of its own). <c>blocks</c> must be ascending, without duplicates.
    /// </summary>
    public static List<ServerCall> Plan(IReadOnlyList<long> blocks, int width, int blockSize, int maxCallBytes)
    {
        var blocksPerCall = Math.Max(1, maxCallBytes / blockSize);
        var calls = new List<ServerCall>();
        var open = new ServerCall?[width];
        var runStart = new long[width];
        var runCount = new int[width];

        for (var i = 0; i < blocks.Count; i++)
        {
            var block = blocks[i];
            var server = ServerOf(block, width);
            if (runCount[server] > 0 && runStart[server] + ((long)runCount[server] * width) == block && runCount[server] < blocksPerCall)
            {
                runCount[server]++;
                continue;
            }

            if (runCount[server] > 0)
            {
                AddRun(server, new BlockRun(runStart[server], runCount[server]));
            }

            runStart[server] = block;
            runCount[server] = 1;
        }

        for (var server = 0; server < width; server++)
        {
            if (runCount[server] > 0)
            {
                AddRun(server, new BlockRun(runStart[server], runCount[server]));
            }
        }

        return calls;

        void AddRun(int server, BlockRun run)
        {
            var call = open[server];
            if (call is null || call.BlockCount + run.Count > blocksPerCall)
            {
                call = new ServerCall(server);
                open[server] = call;
                calls.Add(call);
            }

            call.Runs.Add(run);
            call.BlockCount += run.Count;
        }
    }
}

/// <summary><see cref="Count"/> blocks <c>FirstBlock, FirstBlock + w, ...</c>: back to back on one server.</summary>
internal readonly record struct BlockRun(long FirstBlock, int Count);

/// <summary>The runs one call to one server carries.</summary>
internal sealed class ServerCall(int server)
{
    public int Server { get; } = server;

    public List<BlockRun> Runs { get; } = [];

    public int BlockCount { get; set; }
}
