using Grpc.Core;
using Pfs.Protocol.Meta;
using Pfs.Tests.Fixtures;

namespace Pfs.Tests.Unit.MetaServer;

public sealed class OpenCloseTests
{
    [Fact]
    public async Task OpenOfAMissingFileIsNotFound()
    {
        await using var meta = await MetaServiceHarness.StartAsync();

        await MetaServiceHarness.ThrowsAsync(StatusCode.NotFound, meta.OpenAsync("a", "missing", LockMode.Read));
    }

    [Theory]
    [InlineData("", "f", LockMode.Read, "client_id")]
    [InlineData("a", "f", LockMode.Unspecified, "mode")]
    [InlineData("a", "a//b", LockMode.Read, "invalid path")]
    [InlineData("a", "", LockMode.Read, "root")]
    public async Task OpenRefusesBadArgumentsAndSaysWhich(string clientId, string name, LockMode mode, string detail)
    {
        await using var meta = await MetaServiceHarness.StartAsync();
        await meta.CreateAsync("f");

        var ex = await MetaServiceHarness.ThrowsAsync(StatusCode.InvalidArgument, meta.OpenAsync(clientId, name, mode));

        Assert.Contains(detail, ex.Status.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task OpenReturnsTheFileAndANonzeroHandle()
    {
        await using var meta = await MetaServiceHarness.StartAsync();
        var file = await meta.CreateAsync("f", stripeWidth: 2, blockSize: 4096);

        var open = await meta.OpenAsync("a", "f", LockMode.Read);

        Assert.NotEqual(0UL, open.Handle);
        Assert.Equal(file, open.File);
        Assert.Equal(0UL, open.SessionId);
        Assert.Equal(0UL, open.NoticeSeq);
    }

    [Fact]
    public async Task AWritersCloseUpdatesSizeModifiedTimeAndVersion()
    {
        await using var meta = await MetaServiceHarness.StartAsync();
        var created = await meta.CreateAsync("f");
        var open = await meta.OpenAsync("a", "f", LockMode.Write);

        var closed = await meta.CloseAsync("a", open.Handle, size: 12_345, (0, 25));

        Assert.Equal(12_345, closed.File.Size);
        Assert.Equal(created.Version + 1, closed.File.Version);
        Assert.True(closed.File.ModifiedUnixMs >= created.CreatedUnixMs);
        Assert.Equal(created.CreatedUnixMs, closed.File.CreatedUnixMs);
        Assert.Equal(closed.File, (await meta.StatAsync("f")).File);
    }

    [Fact]
    public async Task AWritersCloseThatChangedNothingLeavesTheTimesAndTheVersion()
    {
        // touch: an open for writing, a futimens, a close without a write.
        await using var meta = await MetaServiceHarness.StartAsync();
        var created = await meta.CreateAsync("f");
        var open = await meta.OpenAsync("a", "f", LockMode.Write);

        var closed = await meta.CloseAsync("a", open.Handle, size: created.Size);

        Assert.Equal(created, closed.File);
        Assert.Equal(created, (await meta.StatAsync("f")).File);
        Assert.Equal(0, meta.Locks.Count);
    }

    [Fact]
    public async Task AReadersCloseChangesNothing()
    {
        await using var meta = await MetaServiceHarness.StartAsync();
        var created = await meta.CreateAsync("f");
        var open = await meta.OpenAsync("a", "f", LockMode.Read);

        var closed = await meta.CloseAsync("a", open.Handle, size: 999, (0, 1));

        Assert.Equal(created, closed.File);
        Assert.Equal(0, meta.Locks.Count);
        Assert.Equal(0, meta.Opens.Count);
    }

    [Fact]
    public async Task AReaderWaitsForTheWritersCloseAndItsNoticeSeqCoversTheInvalidate()
    {
        await using var meta = await MetaServiceHarness.StartAsync();
        await meta.CreateAsync("f");
        var readerStream = await meta.SubscribeAsync("reader");
        var writer = await meta.OpenAsync("writer", "f", LockMode.Write);
        var reader = meta.OpenAsync("reader", "f", LockMode.Read);
        Assert.False(reader.IsCompleted);

        await meta.CloseAsync("writer", writer.Handle, size: 512, (0, 1));

        var granted = await reader.WaitAsync(MetaServiceHarness.Timeout);
        var invalidate = await readerStream.NextAsync();
        Assert.Equal(Notice.KindOneofCase.Invalidate, invalidate.KindCase);
        Assert.Equal(readerStream.SessionId, granted.SessionId);
        Assert.True(granted.NoticeSeq >= invalidate.Seq);
        Assert.Equal(512, granted.File.Size);
    }

    [Fact]
    public async Task CloseOfAnotherClientsHandleIsPermissionDenied()
    {
        await using var meta = await MetaServiceHarness.StartAsync();
        await meta.CreateAsync("f");
        var open = await meta.OpenAsync("a", "f", LockMode.Write);

        await MetaServiceHarness.ThrowsAsync(StatusCode.PermissionDenied, meta.CloseAsync("b", open.Handle, 1, (0, 1)));

        var closed = await meta.CloseAsync("a", open.Handle, 1, (0, 1));
        Assert.Equal(1, closed.File.Size);
    }

    [Fact]
    public async Task CloseOfAnUnknownOrAlreadyClosedHandleIsNotFound()
    {
        await using var meta = await MetaServiceHarness.StartAsync();
        await meta.CreateAsync("f");
        var open = await meta.OpenAsync("a", "f", LockMode.Read);
        await meta.CloseAsync("a", open.Handle);

        await MetaServiceHarness.ThrowsAsync(StatusCode.NotFound, meta.CloseAsync("a", open.Handle));
        await MetaServiceHarness.ThrowsAsync(StatusCode.NotFound, meta.CloseAsync("a", 12345));
    }

    [Theory]
    [InlineData(-1L, 1L)]
    [InlineData(0L, 0L)]
    [InlineData(long.MaxValue, 2L)]
    public async Task ABadDirtyRangeIsInvalidArgumentAndKeepsTheHandle(long start, long count)
    {
        await using var meta = await MetaServiceHarness.StartAsync();
        await meta.CreateAsync("f");
        var open = await meta.OpenAsync("a", "f", LockMode.Write);

        await MetaServiceHarness.ThrowsAsync(StatusCode.InvalidArgument, meta.CloseAsync("a", open.Handle, 1, (start, count)));

        var closed = await meta.CloseAsync("a", open.Handle, 1, (0, 1));
        Assert.Equal(1, closed.File.Size);
    }

    [Fact]
    public async Task AStoreFailureOnCloseKeepsTheHandleAndTheLockForARetry()
    {
        var store = new FlakyMetadataStore();
        await using var meta = await MetaServiceHarness.StartAsync(store: store);
        var created = await meta.CreateAsync("f");
        var open = await meta.OpenAsync("a", "f", LockMode.Write);
        store.FailChanges = true;

        await MetaServiceHarness.ThrowsAsync(StatusCode.Unavailable, meta.CloseAsync("a", open.Handle, 100, (0, 1)));

        var reader = meta.OpenAsync("b", "f", LockMode.Read);
        Assert.Equal(created, (await meta.StatAsync("f")).File);
        Assert.Equal(1, meta.Locks.WaitingCount(created.FileId));
        Assert.False(reader.IsCompleted);
        store.FailChanges = false;
        var closed = await meta.CloseAsync("a", open.Handle, 100, (0, 1));
        Assert.Equal(100, closed.File.Size);
        Assert.Equal(100, (await reader.WaitAsync(MetaServiceHarness.Timeout)).File.Size);
    }

    [Fact]
    public async Task ACancelledOpenHoldsNothing()
    {
        await using var meta = await MetaServiceHarness.StartAsync();
        await meta.CreateAsync("f");
        var writer = await meta.OpenAsync("a", "f", LockMode.Write);
        using var cancel = new CancellationTokenSource();
        var waiting = meta.OpenAsync("b", "f", LockMode.Write, cancellationToken: cancel.Token);

        await cancel.CancelAsync();

        await MetaServiceHarness.ThrowsAsync(StatusCode.Cancelled, waiting);
        await meta.CloseAsync("a", writer.Handle);
        Assert.Equal(0, meta.Locks.Count);
        Assert.Equal(0, meta.Opens.Count);
    }

    [Fact]
    public async Task ADuplicateOpenIdOfAnOpenStillHeldIsInvalidArgument()
    {
        await using var meta = await MetaServiceHarness.StartAsync();
        await meta.CreateAsync("f");
        await meta.OpenAsync("a", "f", LockMode.Read, openId: 7);

        await MetaServiceHarness.ThrowsAsync(StatusCode.InvalidArgument, meta.OpenAsync("a", "f", LockMode.Read, openId: 7));

        var otherClient = await meta.OpenAsync("b", "f", LockMode.Read, openId: 7);
        Assert.NotEqual(0UL, otherClient.Handle);
    }

    [Fact]
    public async Task StatAndListReportTheRegistry()
    {
        await using var meta = await MetaServiceHarness.StartAsync();
        await meta.CreateAsync("b");
        await meta.CreateAsync("a");

        var list = await meta.Service.List(new ListRequest(), new TestServerCallContext());

        Assert.Equal(["a", "b"], list.Files.Select(f => f.Name));
        await MetaServiceHarness.ThrowsAsync(StatusCode.NotFound, meta.StatAsync("c"));
        await MetaServiceHarness.ThrowsAsync(StatusCode.InvalidArgument, meta.StatAsync(".."));
    }
}
