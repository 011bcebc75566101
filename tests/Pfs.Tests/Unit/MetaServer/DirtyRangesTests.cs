using Pfs.MetaServer.Errors;
using Pfs.MetaServer.Services;
using Pfs.Protocol.Meta;

namespace Pfs.Tests.Unit.MetaServer;

public sealed class DirtyRangesTests
{
    private static BlockRange[] Ranges(params (long Start, long Count)[] ranges) =>
        [.. ranges.Select(r => new BlockRange { Start = r.Start, Count = r.Count })];

    [Fact]
    public void OverlappingAndAdjacentRangesAreMergedInOrder()
    {
        var merged = DirtyRanges.Normalize(Ranges((10, 5), (0, 2), (2, 1), (12, 10), (30, 1)));

        Assert.Equal([(0L, 3L), (10L, 12L), (30L, 1L)], merged.Select(r => (r.Start, r.Count)));
    }

    [Fact]
    public void NoRangesStayNone()
    {
        Assert.Empty(DirtyRanges.Normalize([]));
    }

    [Theory]
    [InlineData(-1L, 1L)]
    [InlineData(0L, 0L)]
    [InlineData(0L, -5L)]
    [InlineData(long.MaxValue, 1L)]
    public void InvalidRangesAreRefused(long start, long count)
    {
        var ex = Assert.Throws<MetaException>(() => DirtyRanges.Normalize(Ranges((start, count))));

        Assert.Equal(MetaErrorCode.InvalidArgument, ex.Code);
    }
}
