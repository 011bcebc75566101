using Pfs.Client;
using Pfs.Tests.Fixtures;

namespace Pfs.Tests.Integration.Client;

[Collection(ClusterCollection.Name)]
public sealed class LockingTests(ClusterFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task ReaderBlocksUntilWriterCloses()
    {
        var name = fixture.UniqueName("blocked");
        await using var writerClient = await fixture.Cluster.ConnectAsync();
        await using var readerClient = await fixture.Cluster.ConnectAsync();
        await writerClient.CreateAsync(name, stripeWidth: 3);
        var writer = await writerClient.OpenAsync(name, PfsOpenMode.Write);
        await writer.WriteAsync(TestData.Bytes(2000, seed: 1), 0);

        var opening = readerClient.OpenAsync(name, PfsOpenMode.Read);
        await MetaProbe.WaitForWaitersAsync(fixture.Cluster, name, 1);
        Assert.False(opening.IsCompleted, "a reader must wait while a writer holds the file");

        await writer.CloseAsync();
        await using var reader = await opening.WaitAsync(Timeout);
        Assert.Equal(TestData.Bytes(2000, seed: 1), await TestData.ReadAllAsync(reader, 2000));
    }

    [Fact]
    public async Task ReadersShareAndAWriterWaitsForAllOfThem()
    {
        var name = fixture.UniqueName("shared");
        await using var a = await fixture.Cluster.ConnectAsync();
        await using var b = await fixture.Cluster.ConnectAsync();
        await a.CreateAsync(name, stripeWidth: 1);

        var first = await a.OpenAsync(name, PfsOpenMode.Read);
        var second = await b.OpenAsync(name, PfsOpenMode.Read).WaitAsync(Timeout);
        var writing = a.OpenAsync(name, PfsOpenMode.Write);
        await MetaProbe.WaitForWaitersAsync(fixture.Cluster, name, 1);

        // The server releases a lock, and grants whom that lets in, before it answers the close.
        await first.CloseAsync();
        await MetaProbe.WaitForWaitersAsync(fixture.Cluster, name, 1);
        Assert.False(writing.IsCompleted, "the writer must wait for the second reader too");
        await second.CloseAsync();
        await (await writing.WaitAsync(Timeout)).CloseAsync();
    }

    [Fact]
    public async Task AWaitingWriterIsNotOvertakenByLaterReaders()
    {
        var name = fixture.UniqueName("fair");
        await using var a = await fixture.Cluster.ConnectAsync();
        await using var b = await fixture.Cluster.ConnectAsync();
        await a.CreateAsync(name, stripeWidth: 1);
        var holding = await a.OpenAsync(name, PfsOpenMode.Read);

        var writing = b.OpenAsync(name, PfsOpenMode.Write);
        await MetaProbe.WaitForWaitersAsync(fixture.Cluster, name, 1);
        var lateReader = a.OpenAsync(name, PfsOpenMode.Read);
        await MetaProbe.WaitForWaitersAsync(fixture.Cluster, name, 2);

        await holding.CloseAsync();
        var writer = await writing.WaitAsync(Timeout);
        // Still queued on the server, not merely a reply on its way.
        await MetaProbe.WaitForWaitersAsync(fixture.Cluster, name, 1);
        Assert.False(lateReader.IsCompleted, "a reader that came after the waiting writer must wait for it");
        await writer.CloseAsync();
        await (await lateReader.WaitAsync(Timeout)).CloseAsync();
    }

    [Fact]
    public async Task CancelledWaiterHoldsNothingAfterwards()
    {
        var name = fixture.UniqueName("cancel");
        await using var a = await fixture.Cluster.ConnectAsync();
        await using var b = await fixture.Cluster.ConnectAsync();
        await a.CreateAsync(name, stripeWidth: 1);
        var writer = await a.OpenAsync(name, PfsOpenMode.Write);

        using var cancel = new CancellationTokenSource();
        var waiting = b.OpenAsync(name, PfsOpenMode.Write, cancel.Token);
        await MetaProbe.WaitForWaitersAsync(fixture.Cluster, name, 1);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(Timeout));
        await MetaProbe.WaitForWaitersAsync(fixture.Cluster, name, 0);

        await writer.CloseAsync();
        // Had the cancelled open kept a place or a lock, this exclusive open would wait forever.
        await (await a.OpenAsync(name, PfsOpenMode.Write).WaitAsync(Timeout)).CloseAsync();
    }

    [Fact]
    public async Task DeleteWaitsForTheWriterAndWaitersThenGetNotFound()
    {
        var name = fixture.UniqueName("delete-wait");
        await using var a = await fixture.Cluster.ConnectAsync();
        await using var b = await fixture.Cluster.ConnectAsync();
        await a.CreateAsync(name, stripeWidth: 2);
        var writer = await a.OpenAsync(name, PfsOpenMode.Write);
        await writer.WriteAsync(TestData.Bytes(3000, seed: 2), 0);

        var deleting = b.DeleteAsync(name);
        await MetaProbe.WaitForWaitersAsync(fixture.Cluster, name, 1);
        var opening = a.OpenAsync(name, PfsOpenMode.Read);
        await MetaProbe.WaitForWaitersAsync(fixture.Cluster, name, 2);
        Assert.False(deleting.IsCompleted);

        await writer.CloseAsync();
        await deleting.WaitAsync(Timeout);
        var error = await Assert.ThrowsAsync<PfsException>(() => opening.WaitAsync(Timeout));
        Assert.Equal(PfsErrorCode.NotFound, error.Code);

        // The name is free again, and the new file starts empty.
        await a.CreateAsync(name, stripeWidth: 2);
        Assert.Equal(0, (await a.StatAsync(name)).Size);
    }

    [Fact]
    public async Task DeleteRemovesTheStripeObjectsFromEveryServer()
    {
        var name = fixture.UniqueName("delete-objects");
        await using var client = await fixture.Cluster.ConnectAsync();
        await client.CreateAsync(name, stripeWidth: 3);
        await using (var file = await client.OpenAsync(name, PfsOpenMode.Write))
        {
            await file.WriteAsync(TestData.Bytes(4000, seed: 3), 0);
        }

        var fileId = await StripeObjectFiles.FileIdAsync(fixture.Cluster, name);
        Assert.Equal(3, StripeObjects(fileId).Count);
        await client.DeleteAsync(name);

        Assert.Empty(StripeObjects(fileId));
        Assert.DoesNotContain(await client.ListAsync(), f => f.Name == name);
    }

    // What the servers keep of the generation's bytes: the objects and any stage.
    private List<string> StripeObjects(ulong fileId) =>
        Enumerable.Range(0, 3)
            .SelectMany(i => new[] { string.Empty, ".stage", ".stage.log" }.Select(suffix => StripeObjectFiles.PathOf(fixture.Cluster, i, fileId) + suffix))
            .Where(File.Exists)
            .ToList();
}
