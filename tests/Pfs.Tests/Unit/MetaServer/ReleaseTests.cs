using Grpc.Core;
using Pfs.Protocol.Meta;

namespace Pfs.Tests.Unit.MetaServer;

public sealed class ReleaseTests
{
    [Fact]
    public async Task ReleaseOfAPendingOpenCancelsIt()
    {
        await using var meta = await MetaServiceHarness.StartAsync();
        await meta.CreateAsync("f");
        var writer = await meta.OpenAsync("a", "f", LockMode.Write);
        var waiting = meta.OpenAsync("b", "f", LockMode.Read, openId: 7);

        var released = await meta.ReleaseAsync("b", 7);

        Assert.True(released.Released);
        await MetaServiceHarness.ThrowsAsync(StatusCode.Cancelled, waiting);
        await meta.CloseAsync("a", writer.Handle);
        Assert.Equal(0, meta.Locks.Count);
        Assert.Equal(0, meta.Opens.Count);
    }

    [Fact]
    public async Task AReleaseThatArrivesBeforeItsOpenMakesTheOpenFailWithCancelled()
    {
        await using var meta = await MetaServiceHarness.StartAsync();
        await meta.CreateAsync("f");

        var released = await meta.ReleaseAsync("a", 9);

        Assert.False(released.Released);
        await MetaServiceHarness.ThrowsAsync(StatusCode.Cancelled, meta.OpenAsync("a", "f", LockMode.Write, openId: 9));
        Assert.Equal(0, meta.Locks.Count);
    }

    [Fact]
    public async Task ReleaseOfAHeldOpenFreesTheLockWithoutAWritersSideEffects()
    {
        await using var meta = await MetaServiceHarness.StartAsync();
        var created = await meta.CreateAsync("f");
        var other = await meta.SubscribeAsync("other");
        var writer = await meta.OpenAsync("a", "f", LockMode.Write, openId: 3);
        var next = meta.OpenAsync("b", "f", LockMode.Write);

        var released = await meta.ReleaseAsync("a", 3);

        Assert.True(released.Released);
        var granted = await next.WaitAsync(MetaServiceHarness.Timeout);
        Assert.Equal(created, granted.File);
        await MetaServiceHarness.ThrowsAsync(StatusCode.NotFound, meta.CloseAsync("a", writer.Handle));
        await meta.CloseAsync("b", granted.Handle);
        await meta.DeleteAsync("c", "f");
        var first = await other.NextAsync();
        Assert.Equal(Notice.KindOneofCase.Deleted, first.KindCase);
        Assert.Equal(1UL, first.Seq);
    }

    [Fact]
    public async Task ReleaseIsIdempotent()
    {
        await using var meta = await MetaServiceHarness.StartAsync();
        await meta.CreateAsync("f");
        await meta.OpenAsync("a", "f", LockMode.Write, openId: 1);

        var first = await meta.ReleaseAsync("a", 1);
        var second = await meta.ReleaseAsync("a", 1);

        Assert.True(first.Released);
        Assert.False(second.Released);
        Assert.Equal(0, meta.Locks.Count);
    }
}
