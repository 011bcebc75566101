using Pfs.Cli;
using Pfs.Client;

namespace Pfs.Tests.Unit.Cli;

public sealed class StripeMapTests
{
    private static readonly string[] Servers = ["http://a:1", "http://b:2", "http://c:3", "http://d:4"];

    [Theory]
    [InlineData(0L, 512, 3)]
    [InlineData(1L, 512, 3)]
    [InlineData(512L, 512, 3)]
    [InlineData(513L, 512, 3)]
    [InlineData(1_048_576L * 50, 1_048_576, 3)]
    [InlineData(1_048_576L * 50 + 7, 1_048_576, 4)]
    [InlineData(999_999L, 4096, 1)]
    [InlineData(10_000L, 65536, 4)]
    public void SharesAddUpToTheFileSizeAndItsBlockCount(long size, int blockSize, int width)
    {
        var layout = new PfsStripeLayout("f", size, blockSize, Servers[..width]);

        var shares = StripeMap.Compute(layout);

        Assert.Equal(width, shares.Count);
        Assert.Equal(size, shares.Sum(share => share.Bytes));
        Assert.Equal(layout.BlockCount, shares.Sum(share => share.BlockCount));
        Assert.All(shares, share => Assert.Equal(Servers[share.Server], share.Address));
    }

    [Fact]
    public void EachServerHoldsEveryWidthThBlockFromItsIndex()
    {
        var layout = new PfsStripeLayout("f", 2047L * 512, 512, Servers[..3]);

        var shares = StripeMap.Compute(layout);

        Assert.Equal("every 3rd block from 0: 0..2046 (683 blocks)", shares[0].Blocks);
        Assert.Equal("every 3rd block from 1: 1..2044 (682 blocks)", shares[1].Blocks);
        Assert.Equal((2L, 2045L, 682L, 682L * 512), (shares[2].FirstBlock, shares[2].LastBlock, shares[2].BlockCount, shares[2].Bytes));
    }

    [Fact]
    public void ServersBeyondTheLastBlockHoldNothing()
    {
        var layout = new PfsStripeLayout("f", 600, 512, Servers);

        var shares = StripeMap.Compute(layout);

        Assert.Equal(["block 0", "block 1", "none", "none"], shares.Select(share => share.Blocks));
        Assert.Equal([512L, 88, 0, 0], shares.Select(share => share.Bytes));
        Assert.Equal(-1, shares[3].FirstBlock);
    }

    [Fact]
    public void AWidthOfOneIsOneRunOfBlocks()
    {
        var shares = StripeMap.Compute(new PfsStripeLayout("f", 10 * 4096, 4096, Servers[..1]));

        Assert.Equal("blocks 0..9 (10 blocks)", Assert.Single(shares).Blocks);
    }

    [Theory]
    [InlineData(2, "every 2nd block")]
    [InlineData(4, "every 4th block")]
    public void OrdinalsReadAsEnglish(int width, string expected)
    {
        var shares = StripeMap.Compute(new PfsStripeLayout("f", 100L * 512, 512, Servers[..width]));

        Assert.StartsWith(expected, shares[0].Blocks);
    }
}
