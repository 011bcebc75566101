using CsCheck;
using Pfs.Protocol;

namespace Pfs.Tests.Unit.Protocol;

public sealed class IntervalSetTests
{
    [Fact]
    public void SequentialAdjacentAndOverlappingAddsMergeIntoOneInterval()
    {
        // Arrange
        var set = new IntervalSet();

        // Act
        set.Add(0, 512);
        set.Add(512, 512);
        set.Add(100, 100);
        set.Add(2048, 2048);
        set.Add(1000, 1048);

        // Assert
        Assert.Equal([(0L, 4096L)], set.Ranges());
        Assert.Equal(4096, set.TotalLength);
        Assert.True(set.CoversPrefix(4096));
        Assert.False(set.CoversPrefix(4097));
    }

    [Fact]
    public void AnIntervalBridgingTwoOthersJoinsThem()
    {
        // Arrange
        var set = new IntervalSet();
        set.Add(0, 2);
        set.Add(5, 2);
        set.Add(10, 5);

        // Act
        set.Add(2, 3);

        // Assert
        Assert.Equal([(0L, 7L), (10L, 5L)], set.Ranges());
        Assert.Equal(2, set.Count);
        Assert.Equal(15, set.End);
        Assert.Equal(12, set.TotalLength);
    }

    [Fact]
    public void IntersectReturnsOnlyTheCoveredParts()
    {
        // Arrange
        var set = new IntervalSet();
        set.Add(10, 10);
        set.Add(30, 10);

        // Act
        var across = set.Intersect(15, 20);
        var between = set.Intersect(20, 10);

        // Assert
        Assert.Equal([(15L, 5L), (30L, 5L)], across);
        Assert.Empty(between);
        Assert.False(set.CoversPrefix(5));
    }

    [Fact]
    public void EmptyAddsChangeNothingAndNegativeOnesAreRefused()
    {
        // Arrange
        var set = new IntervalSet();

        // Act
        set.Add(7, 0);

        // Assert
        Assert.Equal(0, set.Count);
        Assert.Equal(0, set.End);
        Assert.True(set.CoversPrefix(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => set.Add(-1, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => set.Add(1, -1));
        Assert.Throws<OverflowException>(() => set.Add(long.MaxValue, 1));
    }

    [Fact]
    public void RemoveFromCutsTheIntervalItFallsInAndDropsEveryLaterOne()
    {
        // Arrange
        var set = new IntervalSet();
        set.Add(0, 10);
        set.Add(20, 10);
        set.Add(40, 10);

        // Act
        set.RemoveFrom(25);
        var afterMiddle = set.Ranges().ToList();
        set.RemoveFrom(10);
        var atAnEnd = set.Ranges().ToList();
        set.RemoveFrom(long.MaxValue);
        set.RemoveFrom(0);

        // Assert
        Assert.Equal([(0L, 10L), (20L, 5L)], afterMiddle);
        Assert.Equal([(0L, 10L)], atAnEnd);
        Assert.Equal(0, set.Count);
        Assert.Throws<ArgumentOutOfRangeException>(() => set.RemoveFrom(-1));
    }

    [Fact]
    public void MatchesABitmapModelForRandomAddsAndCuts()
    {
        // Each step adds (start, length), or with a negative length cuts at start, as a staged truncate does.
        Gen.Select(Gen.Int[0, 200], Gen.Int[-10, 40]).Array[1, 30].Sample(steps =>
        {
            // Arrange
            var set = new IntervalSet();
            var model = new bool[260];

            // Act
            foreach (var (start, length) in steps)
            {
                if (length < 0)
                {
                    set.RemoveFrom(start);
                    Array.Fill(model, false, start, model.Length - start);
                }
                else
                {
                    set.Add(start, length);
                    Array.Fill(model, true, start, length);
                }
            }

            // Assert: sorted, neither touching nor overlapping, and exactly the model's members
            var ranges = set.Ranges().ToList();
            for (var i = 1; i < ranges.Count; i++)
            {
                Assert.True(ranges[i - 1].Start + ranges[i - 1].Length < ranges[i].Start, "intervals must neither touch nor overlap");
            }

            var covered = new bool[260];
            foreach (var (start, length) in ranges)
            {
                Array.Fill(covered, true, (int)start, (int)length);
            }

            Assert.Equal(model, covered);
            Assert.Equal(ranges.Count, set.Count);
            Assert.Equal(model.Count(b => b), set.TotalLength);
            Assert.Equal(Array.LastIndexOf(model, true) + 1, set.End);
            Assert.Equal(model.TakeWhile(b => b).Count() >= 100, set.CoversPrefix(100));
            var probe = set.Intersect(50, 100);
            Assert.Equal(model.Skip(50).Take(100).Count(b => b), probe.Sum(part => part.Length));
            Assert.All(probe, part => Assert.True(part.Start >= 50 && part.Start + part.Length <= 150 && model[(int)part.Start]));
        });
    }
}
