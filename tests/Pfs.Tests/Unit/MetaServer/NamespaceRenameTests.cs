using Pfs.MetaServer.Errors;
using Pfs.MetaServer.Registry;
using static Pfs.Tests.Unit.MetaServer.NamespaceTesting;

namespace Pfs.Tests.Unit.MetaServer;

/// <summary>Every row of the contract's rename rules, on the namespace itself.</summary>
public sealed class NamespaceRenameTests
{
    [Fact]
    public async Task AMissingSourceOrParentOfTheTargetIsNotFound()
    {
        await using var ns = await StartAsync();
        await ns.FileAsync("f");

        await FailsWith(MetaErrorCode.NotFound, () => ns.Names.RenameAsync(0, "missing", 0, "g", false, null));
        await FailsWith(MetaErrorCode.NotFound, () => ns.Names.RenameAsync(0, "f", 0, "missing/g", false, null));
        await FailsWith(MetaErrorCode.NotADirectory, () => ns.Names.RenameAsync(0, "f", 0, "f/g", false, null));
        Assert.NotNull(ns.Find("f"));
    }

    [Fact]
    public async Task AFileMovesAcrossDirectoriesKeepingItsInode()
    {
        await using var ns = await StartAsync();
        await ns.DirectoryAsync("a");
        await ns.DirectoryAsync("b");
        var file = (await ns.FileAsync("a/f")).Node;

        var (moved, replaced) = await ns.Names.RenameAsync(0, "a/f", 0, "b/g", false, null);

        Assert.Equal((file.Id, "b/g"), (moved.Node.Id, moved.Path));
        Assert.Null(replaced);
        Assert.Null(ns.Find("a/f"));
        Assert.Equal("b/g", ns.Names.FindFile(file.Id)!.Value.Path);
        Assert.True(moved.Node.Changed >= file.Changed);
    }

    [Fact]
    public async Task AFileReplacesAFileInOneStepAndTheReplacedOneIsFreed()
    {
        await using var ns = await StartAsync();
        var from = (await ns.FileAsync("from")).Node;
        var to = (await ns.FileAsync("to")).Node;
        ns.GrantWriter(to.Id);

        var (moved, replaced) = await ns.Names.RenameAsync(0, "from", 0, "to", false, null);

        Assert.Equal(from.Id, moved.Node.Id);
        Assert.Equal(to.Id, replaced!.Value.Node.Id);
        Assert.Equal([("to", from.Id)], ns.Tree());
        Assert.Null(ns.Names.FindFile(to.Id));
        Assert.Equal(1, ns.Reclaimer.Pending);
    }

    [Fact]
    public async Task AReplacedFileThatIsOpenBecomesAnOrphan()
    {
        await using var ns = await StartAsync();
        await ns.FileAsync("from");
        var to = (await ns.FileAsync("to")).Node;
        Assert.True(ns.Names.TryReference(to.Id));

        await ns.Names.RenameAsync(0, "from", 0, "to", false, null);

        Assert.Equal(0u, ns.Names.FindFile(to.Id)!.Value.LinkCount);
        Assert.Equal(1, ns.Names.OrphanCount);
        Assert.Equal(0, ns.Reclaimer.Pending);
    }

    [Fact]
    public async Task ADirectoryReplacesOnlyAnEmptyDirectory()
    {
        await using var ns = await StartAsync();
        await ns.DirectoryAsync("src");
        await ns.FileAsync("src/inside");
        var empty = (await ns.DirectoryAsync("empty")).Node;
        await ns.DirectoryAsync("full");
        await ns.FileAsync("full/x");

        await FailsWith(MetaErrorCode.DirectoryNotEmpty, () => ns.Names.RenameAsync(0, "src", 0, "full", false, null));
        var (_, replaced) = await ns.Names.RenameAsync(0, "src", 0, "empty", false, null);

        Assert.Equal(empty.Id, replaced!.Value.Node.Id);
        Assert.Equal(["empty", "empty/inside", "full", "full/x"], ns.Tree().Select(entry => entry.Path));
        Assert.Equal(4u, ns.Names.Lookup(0, "").LinkCount);
    }

    [Fact]
    public async Task AcrossKindsIsIsADirectoryOrNotADirectory()
    {
        await using var ns = await StartAsync();
        await ns.FileAsync("f");
        await ns.DirectoryAsync("d");

        await FailsWith(MetaErrorCode.IsADirectory, () => ns.Names.RenameAsync(0, "f", 0, "d", false, null));
        await FailsWith(MetaErrorCode.NotADirectory, () => ns.Names.RenameAsync(0, "d", 0, "f", false, null));
        Assert.Equal(["d", "f"], ns.Tree().Select(entry => entry.Path));
    }

    [Fact]
    public async Task ADirectoryCannotMoveIntoItselfOrItsOwnSubtree()
    {
        await using var ns = await StartAsync();
        await ns.DirectoryAsync("a");
        await ns.DirectoryAsync("a/b");
        await ns.DirectoryAsync("a/b/c");

        await FailsWith(MetaErrorCode.InvalidArgument, () => ns.Names.RenameAsync(0, "a", 0, "a/x", false, null));
        await FailsWith(MetaErrorCode.InvalidArgument, () => ns.Names.RenameAsync(0, "a", 0, "a/b/c/x", false, null));
        await FailsWith(MetaErrorCode.InvalidArgument, () => ns.Names.RenameAsync(0, "a/b", 0, "a/b/c/x", false, null));
        Assert.Equal(["a", "a/b", "a/b/c"], ns.Tree().Select(entry => entry.Path));
    }

    [Fact]
    public async Task ADirectoryMovesWithItsWholeSubtreeInOneStoreChange()
    {
        var store = new FlakyMetadataStore();
        await using var ns = await StartAsync(store);
        await ns.DirectoryAsync("a");
        await ns.DirectoryAsync("a/b");
        await ns.DirectoryAsync("x");
        var files = new List<ulong>();
        for (var i = 0; i < 50; i++)
        {
            files.Add((await ns.FileAsync($"a/b/f{i}")).Node.Id);
        }

        var before = store.ApplyCalls;
        await ns.Names.RenameAsync(0, "a", 0, "x/moved", false, null);

        Assert.Equal(before + 1, store.ApplyCalls);
        Assert.Equal("x/moved/b/f7", ns.Names.FindFile(files[7])!.Value.Path);
        Assert.Equal(50, ns.Tree("x/moved/b").Count);
        Assert.Equal((3u, 3u), (ns.Names.Lookup(0, "").LinkCount, ns.Names.Lookup(0, "x").LinkCount));
        await using var restarted = await ns.RestartAsync();
        Assert.Equal(ns.Tree(), restarted.Tree());
    }

    [Fact]
    public async Task ANameOntoItselfOrOntoAnotherNameOfTheSameFileDoesNothing()
    {
        await using var ns = await StartAsync();
        var file = (await ns.FileAsync("f")).Node;
        await ns.Names.LinkAsync(0, "f", 0, "g", null);
        var store = await ns.Store.LoadAsync();

        var (same, none) = await ns.Names.RenameAsync(0, "f", 0, "/f", false, null);
        var (link, stillNone) = await ns.Names.RenameAsync(0, "f", 0, "g", false, null);

        Assert.Equal((file.Id, file.Id), (same.Node.Id, link.Node.Id));
        Assert.Null(none);
        Assert.Null(stillNone);
        Assert.Equal([("f", file.Id), ("g", file.Id)], ns.Tree());
        Assert.Equal(store.Entries[DirectoryNode.RootId], (await ns.Store.LoadAsync()).Entries[DirectoryNode.RootId]);
    }

    [Fact]
    public async Task NoReplaceRefusesAnExistingTarget()
    {
        await using var ns = await StartAsync();
        await ns.FileAsync("f");
        await ns.FileAsync("g");

        await FailsWith(MetaErrorCode.AlreadyExists, () => ns.Names.RenameAsync(0, "f", 0, "g", noReplace: true, null));
        await ns.Names.RenameAsync(0, "f", 0, "h", noReplace: true, null);

        Assert.Equal(["g", "h"], ns.Tree().Select(entry => entry.Path));
    }

    [Fact]
    public async Task PathsRelativeToABaseInodeResolveFromThatDirectory()
    {
        await using var ns = await StartAsync();
        var d = (await ns.DirectoryAsync("d")).Node;
        var e = (await ns.DirectoryAsync("e")).Node;
        var file = await ns.Names.CreateFileAsync(d.Id, "f", Spec(), null);

        await ns.Names.RenameAsync(d.Id, "f", e.Id, "g", false, null);

        Assert.Equal("d/f", file.Path);
        Assert.Equal("e/g", ns.Names.Lookup(e.Id, "g").Path);
        Assert.Equal(file.Node.Id, ns.Names.Lookup(file.Node.Id, "").Node.Id);
        FailsWith(MetaErrorCode.NotADirectory, () => ns.Names.Lookup(file.Node.Id, "x"));
        FailsWith(MetaErrorCode.NotFound, () => ns.Names.Lookup(987_654_321, ""));
    }
}
