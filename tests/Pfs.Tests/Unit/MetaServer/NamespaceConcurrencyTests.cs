using Pfs.MetaServer.Errors;
using Pfs.MetaServer.Persistence;
using Pfs.Tests.Fixtures;
using static Pfs.Tests.Unit.MetaServer.NamespaceTesting;

namespace Pfs.Tests.Unit.MetaServer;

/// <summary>Mutations in flight at once: the store is held at a gate so the overlap is certain, not hoped for.</summary>
public sealed class NamespaceConcurrencyTests
{
    [Fact]
    public async Task AnRmdirWaitsForACreateInFlightInsideAndThenFindsTheDirectoryNotEmpty()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var store = new FlakyMetadataStore();
        await using var ns = await StartAsync(store);
        await ns.DirectoryAsync("d");
        store.Gated = FlakyMetadataStore.Adding("f");
        store.Gate = gate.Task;
        var create = ns.FileAsync("d/f");
        await Wait.UntilAsync(() => store.ApplyCalls == 2, "the create is in the store");

        var rmdir = ns.Names.RemoveDirectoryAsync(0, "d", null);
        var calls = store.ApplyCalls;
        gate.SetResult();

        await create.WaitAsync(WaitLimit);
        await FailsWith(MetaErrorCode.DirectoryNotEmpty, () => rmdir.WaitAsync(WaitLimit));
        Assert.Equal(calls, store.ApplyCalls);
        Assert.Equal(["d", "d/f"], ns.Tree().Select(entry => entry.Path));
    }

    [Fact]
    public async Task ACreateIntoADirectoryBeingRemovedWaitsAndThenFindsItGone()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var store = new FlakyMetadataStore();
        await using var ns = await StartAsync(store);
        await ns.DirectoryAsync("d");
        store.Gated = change => change.Operations.Any(op => op.Kind == StoreOperationKind.DeleteDirectory);
        store.Gate = gate.Task;
        var before = store.ApplyCalls;
        var rmdir = ns.Names.RemoveDirectoryAsync(0, "d", null);
        await Wait.UntilAsync(() => store.ApplyCalls == before + 1, "the rmdir is in the store");

        var create = ns.FileAsync("d/f");
        var mkdir = ns.DirectoryAsync("d/e");
        gate.SetResult();

        await rmdir.WaitAsync(WaitLimit);
        await FailsWith(MetaErrorCode.NotFound, () => create.WaitAsync(WaitLimit));
        await FailsWith(MetaErrorCode.NotFound, () => mkdir.WaitAsync(WaitLimit));
        Assert.Equal(before + 1, store.ApplyCalls);
        Assert.Empty(ns.Tree());
    }

    [Fact]
    public async Task ChangesOfOneNameNeverOverlapInTheStore()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var store = new FlakyMetadataStore();
        await using var ns = await StartAsync(store);
        var file = (await ns.FileAsync("f")).Node;
        store.Gate = gate.Task;
        var before = store.ApplyCalls;
        var rename = ns.Names.RenameAsync(0, "f", 0, "g", false, null);
        await Wait.UntilAsync(() => store.ApplyCalls == before + 1, "the rename is in the store");

        // Each touches a name or the node the rename holds.
        var unlink = ns.Names.UnlinkAsync(0, "f", null);
        var create = ns.FileAsync("g");
        var chmod = ns.Names.SetAttributesAsync(file.Id, string.Empty, new(0x180, null, null, null, null, false, false), null);
        var reached = store.ApplyCalls;
        gate.SetResult();

        await rename.WaitAsync(WaitLimit);
        await FailsWith(MetaErrorCode.NotFound, () => unlink.WaitAsync(WaitLimit));
        await FailsWith(MetaErrorCode.AlreadyExists, () => create.WaitAsync(WaitLimit));
        Assert.Equal(0x180u, (await chmod.WaitAsync(WaitLimit)).Node.Mode);
        Assert.Equal(before + 1, reached);
        Assert.Equal([("g", file.Id)], ns.Tree());
    }

    [Fact]
    public async Task AStaleMarkWhileAnOrphanIsFreedWaitsAndThenFindsItGoneInsteadOfWritingARecordTheStoreDropped()
    {
        // A file server that came back without its data marks the positions of every file with parity on it stale,
        // while an orphan among them loses its last handle. Before, the free did not hold the node: the mark could
        // store a field of the deleted record and then fail to find the node in memory, which stopped the server.
        var freeing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var marking = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var store = new FlakyMetadataStore();
        await using var ns = await StartAsync(store);
        var file = (await ns.FileAsync("f", width: 2)).Node;
        Assert.True(ns.Names.TryReference(file.Id));
        await ns.Names.UnlinkAsync(0, "f", null);

        store.Gate = freeing.Task;
        var before = store.ApplyCalls;
        ns.Names.Unreference(file.Id);
        await Wait.UntilAsync(() => store.ApplyCalls == before + 1, "the orphan's free is in the store");
        store.Gate = marking.Task;
        var mark = ns.Names.MarkStaleAsync(file.Id, 1);
        freeing.SetResult();
        await Wait.UntilAsync(() => ns.Names.FindFile(file.Id) is null, "the orphan is freed");
        marking.SetResult();

        await FailsWith(MetaErrorCode.NotFound, () => mark.WaitAsync(WaitLimit));
        Assert.Equal(before + 1, store.ApplyCalls);
        Assert.False((await ns.Store.LoadAsync()).Nodes.ContainsKey(file.Id));
    }

    [Fact]
    public async Task CrossedDirectoryRenamesNeverMakeACycle()
    {
        await using var ns = await StartAsync();
        for (var round = 0; round < 50; round++)
        {
            await ns.DirectoryAsync($"a{round}");
            await ns.DirectoryAsync($"b{round}");
            var ab = Task.Run(() => ns.Names.RenameAsync(0, $"a{round}", 0, $"b{round}/a", false, null));
            var ba = Task.Run(() => ns.Names.RenameAsync(0, $"b{round}", 0, $"a{round}/b", false, null));
            var outcomes = await Task.WhenAll(Outcome(ab), Outcome(ba)).WaitAsync(WaitLimit);

            // One wins; the other finds its target inside its own subtree, or its source moved away.
            Assert.Equal(1, outcomes.Count(outcome => outcome is null));
            Assert.Contains(outcomes, outcome => outcome is MetaErrorCode.InvalidArgument or MetaErrorCode.NotFound);
            var paths = ns.Tree().Select(entry => entry.Path).ToList();
            Assert.True(paths.Contains($"a{round}/b") || paths.Contains($"b{round}/a"), string.Join(", ", paths));
        }
    }

    private static async Task<MetaErrorCode?> Outcome(Task call)
    {
        try
        {
            await call;
            return null;
        }
        catch (MetaException ex)
        {
            return ex.Code;
        }
    }
}
