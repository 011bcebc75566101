using Pfs.MetaServer.Errors;
using Pfs.Protocol.Meta;
using Pfs.Tests.Fixtures;

namespace Pfs.Tests.Unit.MetaServer;

/// <summary>
/// Issue 16 row 6: a client id is bound to the session that subscribed with it. Another caller
/// naming it (without that session's token) cannot release its opens, close its handles, open as
/// it, or end its notice stream; the session itself keeps working, and its id is free again once
/// its lease has run out.
/// </summary>
public sealed class SessionBindingTests
{
    [Fact]
    public async Task AnImpostorCanNeitherReleaseNorCloseNorSubscribeAsAnotherSession()
    {
        // Arrange: the victim holds a write lock, a reader waits behind it
        await using var meta = await MetaServiceHarness.StartAsync();
        await meta.CreateAsync("f");
        var victim = await meta.SubscribeAsync("victim");
        var writer = await meta.OpenAsync("victim", "f", LockMode.Write, openId: 5);
        var waiting = meta.OpenAsync("reader", "f", LockMode.Read);

        // Act: the impostor names the victim's client id, open id and handle, with no token or a wrong one
        var release = await Assert.ThrowsAsync<MetaException>(() =>
            meta.Service.Release(new ReleaseRequest { ClientId = "victim", OpenId = 5 }, new TestServerCallContext()));
        var close = await Assert.ThrowsAsync<MetaException>(() =>
            meta.Service.Close(new CloseRequest { ClientId = "victim", Handle = writer.Handle, Size = 1 }, new TestServerCallContext(
                requestHeaders: new Grpc.Core.Metadata { { "pfs-session-bin", new byte[16] } })));
        var subscribe = await Assert.ThrowsAsync<MetaException>(() =>
            meta.Service.Subscribe(new SubscribeRequest { ClientId = "victim" }, new ChannelServerStreamWriter<Notice>(), new TestServerCallContext()));

        // Assert: all refused as not the owner; the lock is still the victim's and its stream still runs
        Assert.All([release, close, subscribe], refused => Assert.Equal(MetaErrorCode.NotOwner, refused.Code));
        Assert.False(waiting.IsCompleted);
        Assert.False(victim.Completion.IsCompleted);
        await meta.CloseAsync("victim", writer.Handle, size: 3);
        await waiting.WaitAsync(MetaServiceHarness.Timeout);
        Assert.Equal(3, (await meta.StatAsync("f")).File.Size);
    }

    [Fact]
    public async Task TheSessionResubscribesWithItsTokenAndKeepsIt()
    {
        await using var meta = await MetaServiceHarness.StartAsync();
        var first = await meta.SubscribeAsync("c");
        var token = meta.SessionTokenOf("c");

        var second = await meta.SubscribeAsync("c");

        Assert.Equal(16, token.Length);
        Assert.Equal(token, meta.SessionTokenOf("c"));
        Assert.NotEqual(first.SessionId, second.SessionId);
    }

    [Fact]
    public async Task AClientThatBringsItsOwnTokenIsBoundToItSoItsCallsNeverCarryAnUnknownOne()
    {
        await using var meta = await MetaServiceHarness.StartAsync();
        await meta.CreateAsync("f");
        var own = Enumerable.Range(1, 16).Select(i => (byte)i).ToArray();
        meta.UseSessionToken("own", own);

        var before = await meta.OpenAsync("own", "f", LockMode.Read);
        await meta.SubscribeAsync("own");
        var after = await meta.OpenAsync("own", "f", LockMode.Read);

        Assert.Equal(own, meta.SessionTokenOf("own"));
        Assert.NotEqual(0UL, before.Handle);
        Assert.NotEqual(0UL, after.Handle);
    }

    [Fact]
    public async Task AnIdIsFreeAgainOnceItsSessionsLeaseHasRunOut()
    {
        await using var meta = await MetaServiceHarness.StartAsync(leaseTimeout: TimeSpan.FromMilliseconds(200));
        var gone = await meta.SubscribeAsync("reused");
        var oldToken = meta.SessionTokenOf("reused");
        gone.Cancel();
        await gone.Completion.WaitAsync(MetaServiceHarness.Timeout);

        await Wait.UntilAsync(() => meta.Tokens.Count == 0, "the departed session's id is freed", MetaServiceHarness.Timeout);
        meta.ForgetSessionToken("reused");
        await meta.SubscribeAsync("reused");

        Assert.NotEqual(oldToken, meta.SessionTokenOf("reused"));
    }
}
