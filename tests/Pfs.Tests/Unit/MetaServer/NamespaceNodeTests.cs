using Pfs.MetaServer.Errors;
using Pfs.MetaServer.Persistence;
using Pfs.MetaServer.Registry;
using static Pfs.Tests.Unit.MetaServer.NamespaceTesting;

namespace Pfs.Tests.Unit.MetaServer;

/// <summary>Hard and symbolic links, attributes, and what a restart loads.</summary>
public sealed class NamespaceNodeTests
{
    [Fact]
    public async Task HardLinksShareOneInodeAndCountTheirNames()
    {
        await using var ns = await StartAsync();
        await ns.DirectoryAsync("d");
        var file = (await ns.FileAsync("f")).Node;

        await ns.Names.LinkAsync(0, "f", 0, "d/g", null);
        await ns.Names.LinkAsync(0, "d/g", 0, "h", null);

        foreach (var name in new[] { "f", "d/g", "h" })
        {
            Assert.Equal((file.Id, 3u), (ns.Names.Lookup(0, name).Node.Id, ns.Names.Lookup(0, name).LinkCount));
        }

        await FailsWith(MetaErrorCode.IsADirectory, () => ns.Names.LinkAsync(0, "d", 0, "d2", null));
        await FailsWith(MetaErrorCode.AlreadyExists, () => ns.Names.LinkAsync(0, "f", 0, "h", null));
        await FailsWith(MetaErrorCode.NotFound, () => ns.Names.LinkAsync(0, "missing", 0, "m", null));
        await using var restarted = await ns.RestartAsync();
        Assert.Equal(3u, restarted.Names.Lookup(0, "h").LinkCount);
    }

    [Fact]
    public async Task ASymbolicLinkHoldsItsTargetAndIsNeverFollowed()
    {
        await using var ns = await StartAsync();
        await ns.DirectoryAsync("dir");
        await ns.FileAsync("dir/f");

        var link = await ns.Names.SymlinkAsync(0, "link", "dir", 7, 8, null);

        var symlink = Assert.IsType<SymlinkNode>(link.Node);
        Assert.Equal(("dir", 0x1FFu, 7u, 8u), (symlink.Target, symlink.Mode, symlink.Uid, symlink.Gid));
        Assert.Same(symlink, ns.Names.Lookup(0, "link").Node);
        FailsWith(MetaErrorCode.NotADirectory, () => ns.Names.Lookup(0, "link/f"));
        FailsWith(MetaErrorCode.NotADirectory, () => ns.Names.List(0, "link", string.Empty, 0));
        FailsWith(MetaErrorCode.InvalidArgument, () => ns.Names.LookupFile(0, "link"));
        await FailsWith(MetaErrorCode.InvalidArgument, () => ns.Names.SymlinkAsync(0, "empty", string.Empty, 0, 0, null));
        await FailsWith(MetaErrorCode.InvalidArgument, () => ns.Names.SymlinkAsync(0, "nul", "a\0b", 0, 0, null));
        await ns.Names.UnlinkAsync(0, "link", null);
        Assert.Null(ns.Find("link"));
        Assert.Equal(0, ns.Reclaimer.Pending);
    }

    [Fact]
    public async Task SetAttributesChangesWhatItNamesAndMovesCtime()
    {
        await using var ns = await StartAsync();
        var created = (await ns.FileAsync("f")).Node;
        var atime = DateTimeOffset.FromUnixTimeMilliseconds(1_000_000_123);

        var changed = (await ns.Names.SetAttributesAsync(0, "f", new AttributeChanges(0x9ED, 10, null, atime, null, false, false), null)).Node;
        var touched = (await ns.Names.SetAttributesAsync(0, "f", new AttributeChanges(null, null, 20, null, null, false, ModifiedNow: true), null)).Node;

        Assert.Equal((0x9EDu, 10u, 0u, atime), (changed.Mode, changed.Uid, changed.Gid, changed.Accessed));
        Assert.Equal(created.Modified, changed.Modified);
        Assert.True(changed.Changed >= created.Changed);
        Assert.Equal((0x9EDu, 10u, 20u, atime), (touched.Mode, touched.Uid, touched.Gid, touched.Accessed));
        Assert.True(touched.Modified >= changed.Changed);
        Assert.Equal(touched.Modified, touched.Changed);
        await using var restarted = await ns.RestartAsync();
        Assert.Equal(Comparable(touched), Comparable(restarted.Names.Lookup(0, "f").Node));
    }

    [Fact]
    public async Task ARestartLoadsTheSameTreeWithTheSameNodes()
    {
        await using var ns = await StartAsync();
        await ns.DirectoryAsync("a");
        await ns.DirectoryAsync("a/b");
        await ns.Names.MakeDirectoryAsync(0, "a/b/private", 0x1C0, 1000, 1000, null);
        await ns.FileAsync("a/b/f", width: 3);
        await ns.Names.LinkAsync(0, "a/b/f", 0, "top", null);
        await ns.Names.SymlinkAsync(0, "a/s", "../top", 0, 0, null);
        await ns.Names.CompleteWriteAsync(ns.Names.Lookup(0, "top").Node.Id, 12345, false, [7, 9]);
        await ns.Names.RenameAsync(0, "a/b", 0, "moved", false, null);

        await using var restarted = await ns.RestartAsync();

        var tree = ns.Tree();
        Assert.Equal(tree, restarted.Tree());
        foreach (var (path, _) in tree)
        {
            var (before, after) = (ns.Names.Lookup(0, path), restarted.Names.Lookup(0, path));
            Assert.Equal(before.LinkCount, after.LinkCount);
            Assert.Equal(Comparable(before.Node), Comparable(after.Node));
        }

        Assert.Equal([7UL, 9UL], ((FileNode)restarted.Names.Lookup(0, "top").Node).PendingCommits);
    }

    [Fact]
    public async Task OrphansLeftByACrashAreFreedAtLoad()
    {
        var store = new InMemoryMetadataStore();
        await using var ns = await StartAsync(store);
        var file = (await ns.FileAsync("f")).Node;
        Assert.True(ns.Names.TryReference(file.Id));
        await ns.Names.UnlinkAsync(0, "f", null);

        // The server dies with the file still open: nobody can hold it after a restart.
        await using var restarted = await ns.RestartAsync();

        Assert.Null(restarted.Names.FindFile(file.Id));
        Assert.Equal(1, restarted.Reclaimer.Pending);
        var stored = await store.LoadAsync();
        Assert.Empty(stored.Orphans);
        Assert.True(stored.Reclaim.ContainsKey(file.Id));
        Assert.False(stored.Nodes.ContainsKey(file.Id));
    }

    // Records compare their entries object by reference; what matters is the stored fields.
    private static object Comparable(Node node) => node switch
    {
        DirectoryNode directory => NodeFields.All(directory).Append(new("name", directory.Name)).ToList(),
        LinkedNode linked => NodeFields.All(linked)
            .Concat(linked.Links.Select(link => $"{link.Parent}/{link.Name}").Order(StringComparer.Ordinal).Select(link => KeyValuePair.Create("link", link)))
            .ToList(),
        _ => node,
    };
}
