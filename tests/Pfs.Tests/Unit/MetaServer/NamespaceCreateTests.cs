using Grpc.Core;
using Pfs.MetaServer.Errors;
using Pfs.MetaServer.Registry;
using Pfs.Tests.Fixtures;
using static Pfs.Tests.Unit.MetaServer.NamespaceTesting;

namespace Pfs.Tests.Unit.MetaServer;

public sealed class NamespaceCreateTests
{
    [Fact]
    public async Task CreateRegistersAnEmptyFileStripedOverTheFirstServers()
    {
        await using var ns = await StartAsync();

        var view = await ns.Names.CreateFileAsync(0, "a.dat", Spec(width: 2, parity: 1), actor: null);

        var file = Assert.IsType<FileNode>(view.Node);
        Assert.Equal("a.dat", view.Path);
        Assert.True(file.Id > DirectoryNode.RootId);
        Assert.Equal((0L, 512, 2, 1), (file.Size, file.BlockSize, file.StripeWidth, file.ParityBlocks));
        Assert.Equal(["http://fs0:50050", "http://fs1:50051", "http://fs2:50052"], file.Servers);
        Assert.Equal((0x1A4u, 1u), (file.Mode, view.LinkCount));
        Assert.Equal(file.Created, file.Modified);
        Assert.Equal(file.Created, file.Changed);
        Assert.Equal(0, file.Created.Ticks % TimeSpan.TicksPerMillisecond);
        Assert.Equal(TimeSpan.Zero, file.Created.Offset);
        Assert.Same(file, ns.Names.Lookup(0, "/a.dat").Node);
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(-1, 0)]
    [InlineData(4, 0)]
    [InlineData(1, -1)]
    [InlineData(1, 5)]
    [InlineData(2, 2)]
    public async Task CreateRefusesStripeOptionsOutOfRange(int width, int parity)
    {
        await using var ns = await StartAsync(fileServers: 3);

        var ex = await FailsWith(MetaErrorCode.InvalidArgument, () => ns.Names.CreateFileAsync(0, "f", Spec(width, parity: parity), null));

        Assert.Contains("stripe width", ex.Status.Detail, StringComparison.Ordinal);
        Assert.Null(ns.Find("f"));
    }

    [Theory]
    [InlineData(1000)]
    [InlineData(256)]
    [InlineData(-512)]
    public async Task CreateRefusesABlockSizeThatIsNotAnAllowedPowerOfTwo(int blockSize)
    {
        await using var ns = await StartAsync();

        await FailsWith(MetaErrorCode.InvalidArgument, () => ns.Names.CreateFileAsync(0, "f", Spec(1, blockSize), null));
    }

    public static TheoryData<string, string> BadPaths => new()
    {
        { "a//b", "empty component" },
        { "a/", "ends with '/'" },
        { "//a", "empty component" },
        { ".", "not a valid" },
        { "a/..", "not a valid" },
        { "a\\b", "must not contain" },
        { "a\0b", "must not contain" },
        { new string('x', 256), "255" },
        { string.Join('/', Enumerable.Repeat(new string('d', 200), 21)), "4096" },
    };

    [Theory]
    [MemberData(nameof(BadPaths))]
    public async Task EveryCallRefusesABadPathAndSaysWhy(string path, string reason)
    {
        await using var ns = await StartAsync();
        await ns.FileAsync("f");

        var ex = await FailsWith(MetaErrorCode.InvalidArgument, () => ns.FileAsync(path));
        Assert.Contains(reason, ex.Status.Detail, StringComparison.Ordinal);
        await FailsWith(MetaErrorCode.InvalidArgument, () => ns.DirectoryAsync(path));
        FailsWith(MetaErrorCode.InvalidArgument, () => ns.Names.Lookup(0, path));
        await FailsWith(MetaErrorCode.InvalidArgument, () => ns.Names.UnlinkAsync(0, path, null));
        await FailsWith(MetaErrorCode.InvalidArgument, () => ns.Names.RenameAsync(0, "f", 0, path, false, null));
        await FailsWith(MetaErrorCode.InvalidArgument, () => ns.Names.RenameAsync(0, path, 0, "g", false, null));
        await FailsWith(MetaErrorCode.InvalidArgument, () => ns.Names.LinkAsync(0, "f", 0, path, null));
        FailsWith(MetaErrorCode.InvalidArgument, () => ns.Names.List(0, path, string.Empty, 0));
    }

    [Theory]
    [InlineData("")]
    [InlineData("/")]
    public async Task TheRootCanBeStatedAndListedButNotCreatedRemovedRenamedOrOpened(string root)
    {
        await using var ns = await StartAsync();
        await ns.FileAsync("f");

        var stat = ns.Names.Lookup(0, root);
        Assert.Equal((DirectoryNode.RootId, string.Empty, 2u), (stat.Node.Id, stat.Path, stat.LinkCount));
        Assert.Equal("f", Assert.Single(ns.Names.List(0, root, string.Empty, 0).Entries).Name);
        await FailsWith(MetaErrorCode.InvalidArgument, () => ns.FileAsync(root));
        await FailsWith(MetaErrorCode.InvalidArgument, () => ns.DirectoryAsync(root));
        await FailsWith(MetaErrorCode.InvalidArgument, () => ns.Names.RemoveDirectoryAsync(0, root, null));
        await FailsWith(MetaErrorCode.InvalidArgument, () => ns.Names.RenameAsync(0, root, 0, "x", false, null));
        await FailsWith(MetaErrorCode.InvalidArgument, () => ns.Names.RenameAsync(0, "f", 0, root, false, null));
        FailsWith(MetaErrorCode.InvalidArgument, () => ns.Names.LookupFile(0, root));
    }

    [Fact]
    public async Task AnInodeTheStoreHandsOutAgainIsRefusedBeforeAnythingIsWritten()
    {
        // A store that lost its counter (a Garnet run as a cache evicts keys) hands out 1, the root's inode.
        var store = new FlakyMetadataStore { LoseIdCounter = true };
        await using var ns = await StartAsync(store);
        var writes = store.ApplyCalls;

        await FailsWith(MetaErrorCode.Unavailable, () => ns.FileAsync("f"));

        Assert.Equal(writes, store.ApplyCalls);
        await using var restarted = await ns.RestartAsync();
        Assert.IsType<DirectoryNode>(restarted.Find(string.Empty)?.Node);
        Assert.Empty(restarted.Tree());
    }

    [Fact]
    public async Task CreatingNeedsAnExistingParentDirectory()
    {
        await using var ns = await StartAsync();
        await ns.FileAsync("file");

        await FailsWith(MetaErrorCode.NotFound, () => ns.FileAsync("missing/f"));
        await FailsWith(MetaErrorCode.NotFound, () => ns.DirectoryAsync("missing/d"));
        var ex = await FailsWith(MetaErrorCode.NotADirectory, () => ns.FileAsync("file/f"));
        await FailsWith(MetaErrorCode.NotADirectory, () => ns.DirectoryAsync("file/d/e"));

        // What a caller gets: FAILED_PRECONDITION, with the trailer naming the error.
        Assert.Equal(StatusCode.FailedPrecondition, ex.StatusCode);
        Assert.Equal("not-a-directory", ex.Trailers.GetValue(MetaErrorInterceptor.ErrorTrailer));
    }

    [Fact]
    public async Task ATakenNameIsAlreadyExistsWhateverItsKind()
    {
        await using var ns = await StartAsync();
        await ns.FileAsync("f");
        await ns.DirectoryAsync("d");
        await ns.Names.SymlinkAsync(0, "s", "anywhere", 0, 0, null);

        foreach (var name in new[] { "f", "d", "s" })
        {
            await FailsWith(MetaErrorCode.AlreadyExists, () => ns.FileAsync(name));
            await FailsWith(MetaErrorCode.AlreadyExists, () => ns.DirectoryAsync(name));
            await FailsWith(MetaErrorCode.AlreadyExists, () => ns.Names.SymlinkAsync(0, name, "x", 0, 0, null));
        }
    }

    [Fact]
    public async Task ConcurrentCreatesOfOneNameHaveExactlyOneWinner()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var store = new FlakyMetadataStore();
        await using var ns = await StartAsync(store);
        store.Gate = gate.Task;
        store.Gated = FlakyMetadataStore.Adding("same");

        var creates = Enumerable.Range(0, 16).Select(_ => Task.Run(() => ns.FileAsync("same"))).ToArray();
        await Wait.UntilAsync(() => store.ApplyCalls == 1, "one create is in the store");
        Assert.DoesNotContain(creates, t => t.IsCompleted);
        gate.SetResult();
        await Task.WhenAll(creates.Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default))).WaitAsync(WaitLimit);

        Assert.Equal(1, creates.Count(t => t.IsCompletedSuccessfully));
        Assert.All(creates.Where(t => !t.IsCompletedSuccessfully),
            t => Assert.Equal(MetaErrorCode.AlreadyExists, Assert.IsType<MetaException>(t.Exception!.InnerException).Code));
        Assert.Equal(1, store.ApplyCalls);
    }

    [Fact]
    public async Task CreatesOfDifferentNamesInOneDirectoryReachTheStoreTogether()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var store = new FlakyMetadataStore();
        await using var ns = await StartAsync(store);
        await ns.DirectoryAsync("shared");
        var before = store.ApplyCalls;
        store.Gate = gate.Task;

        var creates = Enumerable.Range(0, 16).Select(i => ns.FileAsync($"shared/f{i}")).ToArray();

        // All 16 are in the store at once: none waits for another.
        await Wait.UntilAsync(() => store.ApplyCalls == before + 16, "16 creates are in the store together");
        gate.SetResult();
        await Task.WhenAll(creates).WaitAsync(WaitLimit);
        Assert.Equal(16, ns.Names.List(0, "shared", string.Empty, 0).Entries.Count);
    }

    [Fact]
    public async Task AStoreFailureLeavesMemoryAsItWas()
    {
        var store = new FlakyMetadataStore();
        await using var ns = await StartAsync(store);
        await ns.DirectoryAsync("d");
        await ns.FileAsync("d/f");
        var before = ns.Tree();
        store.FailChanges = true;

        await FailsWith(MetaErrorCode.Unavailable, () => ns.FileAsync("g"));
        await FailsWith(MetaErrorCode.Unavailable, () => ns.Names.RenameAsync(0, "d/f", 0, "h", false, null));
        await FailsWith(MetaErrorCode.Unavailable, () => ns.Names.UnlinkAsync(0, "d/f", null));
        await FailsWith(MetaErrorCode.Unavailable, () => ns.Names.CompleteWriteAsync(ns.Names.Lookup(0, "d/f").Node.Id, 100, false, []));

        Assert.Equal(before, ns.Tree());
        Assert.Equal(0, ((FileNode)ns.Names.Lookup(0, "d/f").Node).Size);
        store.FailChanges = false;
        Assert.Equal("g", (await ns.FileAsync("g")).Path);
    }

    [Fact]
    public async Task AWriterCloseGrowsTheSizeOrSetsItExactlyAndBumpsTheVersion()
    {
        await using var ns = await StartAsync();
        var created = (FileNode)(await ns.FileAsync("f")).Node;

        var grown = await ns.Names.CompleteWriteAsync(created.Id, 1000, sizeExact: false, []);
        var notShrunk = await ns.Names.CompleteWriteAsync(created.Id, 10, sizeExact: false, []);
        var cut = await ns.Names.CompleteWriteAsync(created.Id, 10, sizeExact: true, []);

        Assert.Equal((1000L, 1000L, 10L), (grown.Size, notShrunk.Size, cut.Size));
        Assert.Equal(created.Version + 3, cut.Version);
        Assert.True(cut.Modified >= created.Modified);
        Assert.Equal((cut.Modified, cut.Modified), (cut.Changed, cut.Accessed));
        Assert.Same(cut, ns.Names.Lookup(0, "f").Node);
    }

    [Fact]
    public async Task ARecreatedNameGetsANewInode()
    {
        await using var ns = await StartAsync();
        var first = await ns.FileAsync("f");

        await ns.Names.UnlinkAsync(0, "f", null);
        var second = await ns.FileAsync("f");

        Assert.NotEqual(first.Node.Id, second.Node.Id);
    }
}
