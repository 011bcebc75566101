using CsCheck;
using Pfs.MetaServer.Registry;

namespace Pfs.Tests.Unit.MetaServer;

/// <summary>The chunked name index against <see cref="SortedSet{T}"/> as its model.</summary>
public sealed class SortedNameListTests
{
    // Few distinct names so adds and removes hit each other; chunks split and merge at small sizes only
    // with many operations, so the runs are long.
    private static readonly Gen<string> Names = Gen.Int[0, 3000].Select(i => $"n{i:x}");

    [Fact]
    public void AddsRemovesAndPagesAgreeWithASortedSet()
    {
        Gen.Select(Gen.Bool, Names).Array[1, 6000].Sample(operations =>
        {
            var list = new SortedNameList();
            var model = new SortedSet<string>(StringComparer.Ordinal);
            foreach (var (add, name) in operations)
            {
                Assert.Equal(add ? model.Add(name) : model.Remove(name), add ? list.Add(name) : list.Remove(name));
            }

            Assert.Equal(model.Count, list.Count);
            Assert.Equal(model, list.All());
            AssertPagesCoverEverything(list, model, pageSize: 97);
        }, iter: 60);
    }

    [Fact]
    public void APageStartsRightAfterTheCursorEvenWhenTheCursorIsGone()
    {
        var list = new SortedNameList();
        var names = Enumerable.Range(0, 5000).Select(i => $"{i:d5}").ToList();
        names.ForEach(name => list.Add(name));
        list.Remove("02500");

        var page = new List<string>();
        var more = list.After("02500", 3, name =>
        {
            page.Add(name);
            return true;
        });

        Assert.Equal(["02501", "02502", "02503"], page);
        Assert.True(more);
        Assert.False(list.After("04999", 10, _ => true));
    }

    [Fact]
    public void AMillionAppendsAndAPageInTheMiddleStayCheap()
    {
        var list = new SortedNameList();
        for (var i = 0; i < 1_000_000; i++)
        {
            Assert.True(list.Add($"file-{i:d7}"));
        }

        var page = new List<string>();
        list.After("file-0500000", SortedNameList.MaxChunk, name =>
        {
            page.Add(name);
            return true;
        });

        Assert.Equal(1_000_000, list.Count);
        Assert.Equal(SortedNameList.MaxChunk, page.Count);
        Assert.Equal("file-0500001", page[0]);
    }

    private static void AssertPagesCoverEverything(SortedNameList list, SortedSet<string> model, int pageSize)
    {
        var seen = new List<string>();
        var after = string.Empty;
        while (true)
        {
            var page = new List<string>();
            var more = list.After(after, pageSize, name =>
            {
                page.Add(name);
                return true;
            });
            seen.AddRange(page);
            if (!more)
            {
                break;
            }

            Assert.Equal(pageSize, page.Count);
            after = page[^1];
        }

        Assert.Equal(model, seen);
    }
}
