using Pfs.MetaServer.Errors;
using Pfs.Tests.Fixtures;
using static Pfs.Tests.Unit.MetaServer.NamespaceTesting;

namespace Pfs.Tests.Unit.MetaServer;

public sealed class NamespaceRemoveTests
{
    [Fact]
    public async Task RmdirRemovesOnlyAnEmptyDirectory()
    {
        await using var ns = await StartAsync();
        await ns.DirectoryAsync("d");
        await ns.DirectoryAsync("d/sub");
        await ns.FileAsync("f");
        Assert.Equal(3u, ns.Names.Lookup(0, "").LinkCount);
        Assert.Equal(3u, ns.Names.Lookup(0, "d").LinkCount);

        var notEmpty = await FailsWith(MetaErrorCode.DirectoryNotEmpty, () => ns.Names.RemoveDirectoryAsync(0, "d", null));
        Assert.Equal("directory-not-empty", notEmpty.Trailers.GetValue(MetaErrorInterceptor.ErrorTrailer));
        await FailsWith(MetaErrorCode.NotADirectory, () => ns.Names.RemoveDirectoryAsync(0, "f", null));
        await FailsWith(MetaErrorCode.NotFound, () => ns.Names.RemoveDirectoryAsync(0, "missing", null));
        await ns.Names.RemoveDirectoryAsync(0, "d/sub", null);
        await ns.Names.RemoveDirectoryAsync(0, "d", null);

        Assert.Equal(["f"], ns.Tree().Select(entry => entry.Path));
        Assert.Equal(2u, ns.Names.Lookup(0, "").LinkCount);
    }

    [Fact]
    public async Task UnlinkOfADirectoryIsIsADirectoryAndOfAMissingNameNotFound()
    {
        await using var ns = await StartAsync();
        await ns.DirectoryAsync("d");

        var ex = await FailsWith(MetaErrorCode.IsADirectory, () => ns.Names.UnlinkAsync(0, "d", null));
        Assert.Equal("is-a-directory", ex.Trailers.GetValue(MetaErrorInterceptor.ErrorTrailer));
        await FailsWith(MetaErrorCode.NotFound, () => ns.Names.UnlinkAsync(0, "gone", null));
        FailsWith(MetaErrorCode.IsADirectory, () => ns.Names.LookupFile(0, "d"));
    }

    [Fact]
    public async Task UnlinkOfAFileNobodyHoldsFreesItForTheReclaimer()
    {
        await using var ns = await StartAsync();
        var file = (await ns.FileAsync("f", width: 2)).Node;
        ns.GrantWriter(file.Id);

        var before = await ns.Names.UnlinkAsync(0, "f", null);

        Assert.Equal(file.Id, before.Node.Id);
        Assert.Null(ns.Names.FindFile(file.Id));
        Assert.False(ns.Names.TryReference(file.Id));
        Assert.Equal(1, ns.Reclaimer.Pending);
        var stored = await ns.Store.LoadAsync();
        Assert.Equal("2 0 f", stored.Reclaim[file.Id]);
        Assert.False(stored.Nodes.ContainsKey(file.Id));
    }

    [Fact]
    public async Task AFileNoWriterEverHadIsFreedWithNothingToReclaim()
    {
        await using var ns = await StartAsync();
        var file = (await ns.FileAsync("f", width: 2)).Node;
        var read = (await ns.FileAsync("read")).Node;
        Assert.True(ns.Epochs.NeverWritten(file.Id));

        // Readers sign no write capability: a file only ever read has nothing on any file server either.
        Assert.True(ns.Names.TryReference(read.Id));
        await ns.Names.UnlinkAsync(0, "read", null);
        await ns.Names.UnlinkAsync(0, "f", null);
        ns.Names.Unreference(read.Id);
        await Wait.UntilAsync(() => ns.Names.FindFile(read.Id) is null, "the orphan is freed");

        Assert.Null(ns.Names.FindFile(file.Id));
        Assert.False(ns.Names.TryReference(file.Id));
        Assert.Equal(0, ns.Reclaimer.Pending);
        var stored = await ns.Store.LoadAsync();
        Assert.Empty(stored.Reclaim);
        Assert.False(stored.Nodes.ContainsKey(file.Id));
        Assert.False(stored.Nodes.ContainsKey(read.Id));
        Assert.False(ns.Epochs.NeverWritten(file.Id));
    }

    [Fact]
    public async Task AFileLoadedAfterARestartMayHaveObjectsAndIsReclaimed()
    {
        await using var ns = await StartAsync();
        var file = (await ns.FileAsync("f")).Node;

        // Nothing says whether a writer of the earlier run had it: it is reclaimed, and its first writer fences.
        await using var restarted = await ns.RestartAsync();
        Assert.False(restarted.Epochs.NeverWritten(file.Id));
        Assert.True(restarted.Epochs.Granted(file.Id));
        await restarted.Names.UnlinkAsync(0, "f", null);

        Assert.Equal(1, restarted.Reclaimer.Pending);
        Assert.True((await restarted.Store.LoadAsync()).Reclaim.ContainsKey(file.Id));
    }

    [Fact]
    public async Task TheFirstWriterOfANewFileNeedNotFenceButTheNextAfterAnUncleanEndMust()
    {
        await using var ns = await StartAsync();
        var file = (await ns.FileAsync("f")).Node;

        Assert.False(ns.Epochs.Granted(file.Id));
        Assert.False(ns.Epochs.NeverWritten(file.Id));

        // That writer never closed cleanly (its lease ended): the next one fences.
        Assert.True(ns.Epochs.Granted(file.Id));
        ns.Epochs.ClosedCleanly(file.Id);
        Assert.False(ns.Epochs.Granted(file.Id));
    }

    [Fact]
    public async Task AFileUnlinkedWhileOpenLivesWithoutANameUntilItsLastReferenceGoes()
    {
        await using var ns = await StartAsync();
        var file = (await ns.FileAsync("f")).Node;
        Assert.True(ns.Names.TryReference(file.Id));
        Assert.True(ns.Names.TryReference(file.Id));

        await ns.Names.UnlinkAsync(0, "f", null);

        // Gone from the directory, still there by inode, with no name and no link.
        Assert.Null(ns.Find("f"));
        var orphan = ns.Names.FindFile(file.Id)!.Value;
        Assert.Equal((string.Empty, 0u), (orphan.Path, orphan.LinkCount));
        Assert.Equal(1, ns.Names.OrphanCount);
        Assert.Contains(file.Id, (await ns.Store.LoadAsync()).Orphans);
        ns.GrantWriter(file.Id);
        var written = await ns.Names.CompleteWriteAsync(file.Id, 4096, false, []);
        Assert.Equal(4096, written.Size);

        ns.Names.Unreference(file.Id);
        Assert.NotNull(ns.Names.FindFile(file.Id));
        ns.Names.Unreference(file.Id);

        await Wait.UntilAsync(() => ns.Names.FindFile(file.Id) is null && ns.Reclaimer.Pending == 1, "the orphan is freed and handed to the reclaimer");
        var stored = await ns.Store.LoadAsync();
        Assert.DoesNotContain(file.Id, stored.Orphans);
        Assert.True(stored.Reclaim.ContainsKey(file.Id));
        Assert.False(stored.Nodes.ContainsKey(file.Id));
        Assert.Equal(0, ns.Names.OrphanCount);
    }

    [Fact]
    public async Task TheVersionOneDeleteFreesAFileWhoseLastNameItTakesEvenWithOpensWaiting()
    {
        await using var ns = await StartAsync();
        var file = (await ns.FileAsync("f")).Node;
        await ns.FileAsync("other");
        Assert.True(ns.Names.TryReference(file.Id));

        var moved = await ns.Names.DeleteFileAsync(0, "other", file.Id, null);
        var deleted = await ns.Names.DeleteFileAsync(0, "f", file.Id, null);

        Assert.Null(moved);
        Assert.Equal((file.Id, true, false), (deleted!.Value.Before.Node.Id, deleted.Value.Freed, deleted.Value.Reclaim));
        Assert.Null(ns.Names.FindFile(file.Id));
        await FailsWith(MetaErrorCode.NotFound, () => ns.Names.DeleteFileAsync(0, "f", file.Id, null));
    }

    [Fact]
    public async Task ALinkedFileKeepsLivingWhenOneOfItsNamesGoes()
    {
        await using var ns = await StartAsync();
        await ns.DirectoryAsync("d");
        var file = (await ns.FileAsync("f")).Node;
        var linked = await ns.Names.LinkAsync(0, "f", 0, "d/g", null);
        Assert.Equal((file.Id, 2u, "d/g"), (linked.Node.Id, linked.LinkCount, linked.Path));

        await ns.Names.UnlinkAsync(0, "f", null);

        var left = ns.Names.Lookup(0, "d/g");
        Assert.Equal((file.Id, 1u), (left.Node.Id, left.LinkCount));
        Assert.True(left.Node.Changed >= file.Changed);
        Assert.Equal(0, ns.Reclaimer.Pending);
        Assert.Equal("d/g", ns.Names.FindFile(file.Id)!.Value.Path);
    }
}
