using CsCheck;
using Pfs.FileServer.Storage;

namespace Pfs.Tests.Unit.FileServer;

public sealed class ExtentSetTests
{
    [Fact]
    public void SequentialAndOverlappingAddsMergeIntoOneExtent()
    {
        var set = new ExtentSet();
        set.Add(0, 512);
        set.Add(512, 1024);
        set.Add(100, 200);
        set.Add(2048, 4096);
        set.Add(1000, 2048);

        Assert.Equal([(0L, 4096L)], set.Extents);
        Assert.True(set.CoversPrefix(4096));
        Assert.False(set.CoversPrefix(4097));
    }

    [Fact]
    public void IntersectReturnsOnlyTheCoveredParts()
    {
        var set = new ExtentSet();
        set.Add(10, 20);
        set.Add(30, 40);

        Assert.Equal([(15L, 20L), (30L, 35L)], set.Intersect(15, 35));
        Assert.Empty(set.Intersect(20, 30));
        Assert.False(set.CoversPrefix(5));
    }

    [Fact]
    public void MatchesABitmapModelForRandomAdds()
    {
        Gen.Select(Gen.Int[0, 200], Gen.Int[0, 40]).Array[1, 30].Sample(adds =>
        {
            var set = new ExtentSet();
            var model = new bool[260];
            foreach (var (start, length) in adds)
            {
                set.Add(start, start + length);
                Array.Fill(model, true, start, length);
            }

            // Disjoint, sorted, not touching, and exactly the model's bytes.
            for (var i = 1; i < set.Extents.Count; i++)
            {
                Assert.True(set.Extents[i - 1].End < set.Extents[i].Start);
            }

            var covered = new bool[260];
            foreach (var (start, end) in set.Extents)
            {
                Array.Fill(covered, true, (int)start, (int)(end - start));
            }

            Assert.Equal(model, covered);
            var probe = set.Intersect(50, 150).Sum(part => part.End - part.Start);
            Assert.Equal(model.Skip(50).Take(100).Count(b => b), probe);
        });
    }
}
