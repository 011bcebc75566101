using Pfs.Client.Striping;

namespace Pfs.Tests.Unit.Client;

public sealed class StripeMathTests
{
    [Theory]
    [InlineData(0, 3, 0, 0)]
    [InlineData(1, 3, 1, 0)]
    [InlineData(2, 3, 2, 0)]
    [InlineData(3, 3, 0, 512)]
    [InlineData(7, 3, 1, 1024)]
    [InlineData(5, 1, 0, 2560)]
    public void BlockLivesOnServerIModWidthAtItsRowOffset(long block, int width, int server, long localOffset)
    {
        Assert.Equal(server, StripeMath.ServerOf(block, width));
        Assert.Equal(localOffset, StripeMath.LocalOffset(block, width, 512));
    }

    [Theory]
    [InlineData(0, 1, 0, 0)]
    [InlineData(0, 512, 0, 0)]
    [InlineData(0, 513, 0, 1)]
    [InlineData(511, 2, 0, 1)]
    [InlineData(1024, 1536, 2, 4)]
    public void BlocksOfCoversExactlyTheTouchedBlocks(long offset, long count, long first, long last)
    {
        Assert.Equal((first, last), StripeMath.BlocksOf(offset, count, 512));
    }

    [Fact]
    public void SequentialBlocksBecomeOneCallPerServer()
    {
        var calls = StripeMath.Plan(Range(0, 9), width: 3, blockSize: 512, maxCallBytes: 1 << 20);

        Assert.Equal(3, calls.Count);
        foreach (var call in calls)
        {
            var run = Assert.Single(call.Runs);
            Assert.Equal(call.Server, run.FirstBlock);
            Assert.Equal(3, run.Count);
        }
    }

    [Fact]
    public void RunsAreSplitAtTheCallSizeLimit()
    {
        // 10 blocks on one server, 4 blocks per call: 4 + 4 + 2.
        var calls = StripeMath.Plan(Range(0, 10), width: 1, blockSize: 512, maxCallBytes: 2048);

        Assert.Equal([4, 4, 2], calls.Select(c => c.BlockCount));
        Assert.Equal([0L, 4L, 8L], calls.Select(c => c.Runs[0].FirstBlock));
    }

    [Fact]
    public void GapsMakeSeparateRunsInOneCall()
    {
        // Server 0 of width 2 holds 0, 2, 4, ...; 0 and 2 are back to back there, 8 is not.
        var calls = StripeMath.Plan([0, 2, 8], width: 2, blockSize: 512, maxCallBytes: 1 << 20);

        var call = Assert.Single(calls);
        Assert.Equal([new BlockRun(0, 2), new BlockRun(8, 1)], call.Runs);
    }

    [Fact]
    public void ABlockLargerThanTheCallLimitGetsACallOfItsOwn()
    {
        var calls = StripeMath.Plan([0, 1], width: 1, blockSize: 4 << 20, maxCallBytes: 1 << 20);

        Assert.Equal(2, calls.Count);
        Assert.All(calls, c => Assert.Equal(1, c.BlockCount));
    }

    [Fact]
    public void EveryBlockIsPlannedExactlyOnce()
    {
        var random = new Random(7);
        for (var round = 0; round < 200; round++)
        {
            var width = random.Next(1, 6);
            var blocks = Enumerable.Range(0, 300).Where(_ => random.Next(3) == 0).Select(i => (long)i).ToList();
            var calls = StripeMath.Plan(blocks, width, 512, random.Next(1, 20) * 512);

            var planned = calls.SelectMany(c => c.Runs.SelectMany(r =>
                Enumerable.Range(0, r.Count).Select(k => (Server: c.Server, Block: r.FirstBlock + ((long)k * width))))).ToList();
            Assert.Equal(blocks, planned.Select(p => p.Block).Order());
            Assert.All(planned, p => Assert.Equal(StripeMath.ServerOf(p.Block, width), p.Server));
        }
    }

    private static List<long> Range(long start, int count) => Enumerable.Range(0, count).Select(i => start + i).ToList();
}
