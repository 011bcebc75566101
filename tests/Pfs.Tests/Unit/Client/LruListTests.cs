using Pfs.Client.Caching;
using Pfs.Client.Transport;

namespace Pfs.Tests.Unit.Client;

public sealed class LruListTests
{
    private static readonly FileLayout File = new("f", fileId: 1, blockSize: 512, servers: []);

    [Fact]
    public void BlocksAreKeptFromLeastToMostRecentlyUsed()
    {
        var (list, blocks) = ListOf(4);

        list.MoveToNewest(blocks[1]);
        list.MoveToNewest(blocks[1]); // already the newest: stays
        list.MoveToNewest(blocks[0]);

        AssertOrder(list, 2, 3, 1, 0);
    }

    [Fact]
    public void RemovingTheOldestTheNewestOrAMiddleBlockKeepsTheOthersLinked()
    {
        var (list, blocks) = ListOf(5);

        list.Remove(blocks[0]);
        list.Remove(blocks[4]);
        list.Remove(blocks[2]);

        AssertOrder(list, 1, 3);
        Assert.Null(blocks[2].Newer);
        Assert.Null(blocks[2].Older);
    }

    [Fact]
    public void RemovingABlockThatIsNotInTheListChangesNothing()
    {
        var (list, _) = ListOf(3);
        var outsider = new CachedBlock(new BlockKey(1, 99), File);

        list.Remove(outsider);

        AssertOrder(list, 0, 1, 2);
    }

    [Fact]
    public void RemovingTheLastBlockEmptiesTheListAndItCanBeFilledAgain()
    {
        var (list, blocks) = ListOf(1);

        list.Remove(blocks[0]);
        Assert.Null(list.Oldest);
        Assert.Null(list.Newest);

        list.AddNewest(blocks[0]);
        AssertOrder(list, 0);
    }

    private static (LruList List, CachedBlock[] Blocks) ListOf(int count)
    {
        var list = new LruList();
        var blocks = Enumerable.Range(0, count).Select(i => new CachedBlock(new BlockKey(1, i), File)).ToArray();
        foreach (var block in blocks)
        {
            list.AddNewest(block);
        }

        return (list, blocks);
    }

    // Walks the list both ways, so a link broken in either direction fails.
    private static void AssertOrder(LruList list, params long[] oldestFirst)
    {
        var forward = new List<long>();
        for (var block = list.Oldest; block is not null; block = block.Newer)
        {
            forward.Add(block.Key.Index);
        }

        var backward = new List<long>();
        for (var block = list.Newest; block is not null; block = block.Older)
        {
            backward.Add(block.Key.Index);
        }

        backward.Reverse();
        Assert.Equal(oldestFirst, forward);
        Assert.Equal(oldestFirst, backward);
    }
}
