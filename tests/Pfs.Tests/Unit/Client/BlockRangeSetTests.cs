using Pfs.Client.Striping;

namespace Pfs.Tests.Unit.Client;

public sealed class BlockRangeSetTests
{
    [Fact]
    public void AdjacentAndOverlappingRangesMerge()
    {
        var set = new BlockRangeSet();

        set.Add(10, 5);
        set.Add(15, 5);
        set.Add(0, 2);
        set.Add(12, 20);

        Assert.Equal([(0L, 2L), (10L, 22L)], set.Ranges());
        Assert.Equal(24, set.BlockCount);
    }

    [Fact]
    public void ARangeBridgingTwoOthersJoinsThem()
    {
        var set = new BlockRangeSet();
        set.Add(0, 2);
        set.Add(5, 2);

        set.Add(2, 3);

        Assert.Equal([(0L, 7L)], set.Ranges());
    }

    [Fact]
    public void ContainsMatchesAReferenceSet()
    {
        var random = new Random(3);
        var set = new BlockRangeSet();
        var reference = new HashSet<long>();
        for (var i = 0; i < 300; i++)
        {
            var start = random.Next(0, 500);
            var count = random.Next(1, 10);
            set.Add(start, count);
            for (var b = start; b < start + count; b++)
            {
                reference.Add(b);
            }
        }

        for (long block = 0; block < 520; block++)
        {
            Assert.Equal(reference.Contains(block), set.Contains(block));
        }

        Assert.Equal(reference.Count, set.BlockCount);
        var ranges = set.Ranges().ToList();
        for (var i = 1; i < ranges.Count; i++)
        {
            Assert.True(ranges[i - 1].Start + ranges[i - 1].Count < ranges[i].Start, "ranges must neither touch nor overlap");
        }
    }
}
