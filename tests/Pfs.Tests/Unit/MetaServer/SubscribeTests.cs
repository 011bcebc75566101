using Pfs.Protocol.Meta;

namespace Pfs.Tests.Unit.MetaServer;

public sealed class SubscribeTests
{
    [Fact]
    public async Task SubscribeSendsAHelloWithANewSessionIdFirst()
    {
        await using var meta = await MetaServiceHarness.StartAsync();

        var first = await meta.SubscribeAsync("a");
        var second = await meta.SubscribeAsync("b");

        Assert.NotEqual(0UL, first.SessionId);
        Assert.NotEqual(first.SessionId, second.SessionId);
    }

    [Fact]
    public async Task AWritersCloseQueuesExactlyItsDirtyRangesToOtherClientsButNotToItself()
    {
        await using var meta = await MetaServiceHarness.StartAsync();
        var file = await meta.CreateAsync("inv.dat");
        var writerStream = await meta.SubscribeAsync("writer");
        var otherStream = await meta.SubscribeAsync("other");
        var open = await meta.OpenAsync("writer", "inv.dat", LockMode.Write);

        var closed = await meta.CloseAsync("writer", open.Handle, size: 5000, (5, 2), (0, 1), (6, 3));

        var notice = await otherStream.NextAsync();
        Assert.Equal(1UL, notice.Seq);
        Assert.Equal(Notice.KindOneofCase.Invalidate, notice.KindCase);
        Assert.Equal("inv.dat", notice.Invalidate.Name);
        Assert.Equal(file.FileId, notice.Invalidate.FileId);
        Assert.Equal([(0L, 1L), (5L, 4L)], notice.Invalidate.Blocks.Select(b => (b.Start, b.Count)));
        Assert.Equal(closed.File.Version, notice.Invalidate.Version);
        Assert.Equal(5000, notice.Invalidate.Size);

        // The writer's own stream: the next notice it gets is a later delete, so no Invalidate came before it.
        await meta.DeleteAsync("other", "inv.dat");
        var writerNext = await writerStream.NextAsync();
        Assert.Equal(Notice.KindOneofCase.Deleted, writerNext.KindCase);
        Assert.Equal(1UL, writerNext.Seq);
    }

    [Fact]
    public async Task AWritersCloseWithoutDirtyBlocksQueuesNothing()
    {
        await using var meta = await MetaServiceHarness.StartAsync();
        await meta.CreateAsync("clean.dat");
        var otherStream = await meta.SubscribeAsync("other");
        var open = await meta.OpenAsync("writer", "clean.dat", LockMode.Write);

        await meta.CloseAsync("writer", open.Handle, size: 0);
        await meta.DeleteAsync("writer", "clean.dat");

        var next = await otherStream.NextAsync();
        Assert.Equal(Notice.KindOneofCase.Deleted, next.KindCase);
        Assert.Equal(1UL, next.Seq);
    }

    [Fact]
    public async Task DeleteQueuesFileDeletedToOtherClients()
    {
        await using var meta = await MetaServiceHarness.StartAsync();
        var file = await CreateWrittenAsync(meta, "gone.dat");
        var otherStream = await meta.SubscribeAsync("other");

        await meta.DeleteAsync("deleter", "gone.dat");

        var notice = await otherStream.NextAsync();
        Assert.Equal(Notice.KindOneofCase.Deleted, notice.KindCase);
        Assert.Equal("gone.dat", notice.Deleted.Name);
        Assert.Equal(file.FileId, notice.Deleted.FileId);
        Assert.Equal(1UL, notice.Seq);
    }

    [Fact]
    public async Task DeletingAFileNoWriterEverHadTellsNoPlainClient()
    {
        await using var meta = await MetaServiceHarness.StartAsync();
        await meta.CreateAsync("empty.dat");
        var written = await CreateWrittenAsync(meta, "written.dat");
        var otherStream = await meta.SubscribeAsync("other");

        // No client can hold a block of a file nobody ever wrote: its delete is no notice to them.
        await meta.DeleteAsync("deleter", "empty.dat");
        await meta.DeleteAsync("deleter", "written.dat");

        var notice = await otherStream.NextAsync();
        Assert.Equal((Notice.KindOneofCase.Deleted, written.FileId, 1UL), (notice.KindCase, notice.Deleted.FileId, notice.Seq));
    }

    [Fact]
    public async Task AClientThatFallsTooFarBehindHasItsStreamEnded()
    {
        await using var meta = await MetaServiceHarness.StartAsync(noticeQueueCapacity: 2);
        await meta.CreateAsync("busy.dat");
        // Hello goes through, then the client stops reading: one notice in the stream, two queued, the next overflows.
        var slow = await meta.SubscribeAsync("slow", stallAfterWrites: 1);

        for (var i = 0; i < 4; i++)
        {
            var open = await meta.OpenAsync("writer", "busy.dat", LockMode.Write);
            await meta.CloseAsync("writer", open.Handle, size: 1, (0, 1));
        }

        await slow.Completion.WaitAsync(MetaServiceHarness.Timeout);
        var reader = await meta.OpenAsync("slow", "busy.dat", LockMode.Read);
        Assert.Equal(0UL, reader.SessionId);
    }

    [Fact]
    public async Task ASecondSubscribeOfAClientEndsTheFirst()
    {
        await using var meta = await MetaServiceHarness.StartAsync();
        await CreateWrittenAsync(meta, "f");
        var first = await meta.SubscribeAsync("a");

        var second = await meta.SubscribeAsync("a");

        await first.Completion.WaitAsync(MetaServiceHarness.Timeout);
        Assert.False(second.Completion.IsCompleted);
        await meta.DeleteAsync("b", "f");
        var notice = await second.NextAsync();
        Assert.Equal(Notice.KindOneofCase.Deleted, notice.KindCase);
        Assert.False(first.Stream.TryRead(out _));
    }

    [Fact]
    public async Task CancellingTheCallEndsTheStream()
    {
        await using var meta = await MetaServiceHarness.StartAsync();
        var subscription = await meta.SubscribeAsync("a");

        subscription.Cancel();

        await subscription.Completion.WaitAsync(MetaServiceHarness.Timeout);
    }

    [Fact]
    public async Task SubscribeWithoutAClientIdIsInvalidArgument()
    {
        await using var meta = await MetaServiceHarness.StartAsync();
        var writer = new ChannelServerStreamWriter<Notice>();

        var call = meta.SubscribeCall(new SubscribeRequest(), writer);

        await MetaServiceHarness.ThrowsAsync(Grpc.Core.StatusCode.InvalidArgument, call);
    }

    /// <summary>A file a writer has had (so its delete is news to every client, not only to mounts).</summary>
    private static async Task<Pfs.Protocol.Meta.FileInfo> CreateWrittenAsync(MetaServiceHarness meta, string name)
    {
        var file = await meta.CreateAsync(name);
        var open = await meta.OpenAsync("writer", name, LockMode.Write);
        await meta.CloseAsync("writer", open.Handle, size: 0);
        return file;
    }
}
