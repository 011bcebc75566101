using Grpc.Core;
using Pfs.Protocol.Meta;

namespace Pfs.Tests.Unit.MetaServer;

public sealed class DeleteTests
{
    [Fact]
    public async Task DeleteWaitsForExclusiveAccessThenWakesLaterWaitersWithNotFound()
    {
        await using var meta = await MetaServiceHarness.StartAsync();
        var created = await meta.CreateAsync("f", stripeWidth: 3);
        var writer = await meta.OpenAsync("a", "f", LockMode.Write);
        var delete = meta.DeleteAsync("c", "f");
        var reader = meta.OpenAsync("b", "f", LockMode.Read);
        Assert.False(delete.IsCompleted);

        await meta.CloseAsync("a", writer.Handle);

        var deleted = await delete.WaitAsync(MetaServiceHarness.Timeout);
        Assert.Equal(created.FileId, deleted.File.FileId);
        Assert.Equal(3, deleted.File.Recipe.Servers.Count);
        await MetaServiceHarness.ThrowsAsync(StatusCode.NotFound, reader);
        await MetaServiceHarness.ThrowsAsync(StatusCode.NotFound, meta.StatAsync("f"));
        Assert.Equal(0, meta.Locks.Count);
        Assert.Equal(0, meta.Opens.Count);
    }

    [Fact]
    public async Task ADeletedNameCanBeCreatedAgainWithANewFileId()
    {
        await using var meta = await MetaServiceHarness.StartAsync();
        var first = await meta.CreateAsync("f");

        await meta.DeleteAsync("a", "f");
        var second = await meta.CreateAsync("f");

        Assert.NotEqual(first.FileId, second.FileId);
        var open = await meta.OpenAsync("a", "f", LockMode.Write);
        Assert.Equal(second.FileId, open.File.FileId);
    }

    [Fact]
    public async Task DeleteOfAMissingFileIsNotFound()
    {
        await using var meta = await MetaServiceHarness.StartAsync();

        await MetaServiceHarness.ThrowsAsync(StatusCode.NotFound, meta.DeleteAsync("a", "missing"));
    }

    [Fact]
    public async Task ReleaseOfAPendingDeleteCancelsItAndKeepsTheFile()
    {
        await using var meta = await MetaServiceHarness.StartAsync();
        await meta.CreateAsync("f");
        var reader = await meta.OpenAsync("a", "f", LockMode.Read);
        var delete = meta.DeleteAsync("c", "f", openId: 5);

        var released = await meta.ReleaseAsync("c", 5);

        Assert.True(released.Released);
        await MetaServiceHarness.ThrowsAsync(StatusCode.Cancelled, delete);
        await meta.CloseAsync("a", reader.Handle);
        Assert.Equal("f", (await meta.StatAsync("f")).File.Name);
        Assert.Equal(0, meta.Locks.Count);
    }

    [Fact]
    public async Task AStoreFailureOnDeleteKeepsTheFileAndReleasesTheLock()
    {
        var store = new FlakyMetadataStore();
        await using var meta = await MetaServiceHarness.StartAsync(store: store);
        await meta.CreateAsync("f");
        store.FailChanges = true;

        await MetaServiceHarness.ThrowsAsync(StatusCode.Unavailable, meta.DeleteAsync("a", "f"));

        Assert.Equal("f", (await meta.StatAsync("f")).File.Name);
        Assert.Equal(0, meta.Locks.Count);
        Assert.Equal(0, meta.Opens.Count);
    }
}
