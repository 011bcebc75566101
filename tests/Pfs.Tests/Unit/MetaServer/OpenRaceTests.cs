using Grpc.Core;
using Pfs.Protocol.Meta;

namespace Pfs.Tests.Unit.MetaServer;

public sealed class OpenRaceTests
{
    private const int Iterations = 300;

    [Fact]
    public async Task AnOpenCancelledAsItsLockIsGrantedNeverLeavesAnythingHeld()
    {
        await using var meta = await MetaServiceHarness.StartAsync();
        await meta.CreateAsync("f");
        for (var i = 0; i < Iterations; i++)
        {
            var writer = await meta.OpenAsync("a", "f", LockMode.Write);
            using var cancel = new CancellationTokenSource();
            var waiting = meta.OpenAsync("b", "f", LockMode.Read, cancellationToken: cancel.Token);

            await Task.WhenAll(Task.Run(() => meta.CloseAsync("a", writer.Handle)), Task.Run(cancel.Cancel)).WaitAsync(MetaServiceHarness.Timeout);

            await CloseIfGrantedAsync(meta, "b", waiting);
            Assert.Equal(0, meta.Locks.Count);
            Assert.Equal(0, meta.Opens.Count);
        }
    }

    [Fact]
    public async Task AnOpenReleasedAsItsLockIsGrantedNeverLeavesAnythingHeld()
    {
        await using var meta = await MetaServiceHarness.StartAsync();
        await meta.CreateAsync("f");
        for (var i = 0; i < Iterations; i++)
        {
            var writer = await meta.OpenAsync("a", "f", LockMode.Write);
            var openId = meta.NextOpenId();
            var waiting = meta.OpenAsync("b", "f", LockMode.Write, openId);

            await Task.WhenAll(Task.Run(() => meta.CloseAsync("a", writer.Handle)), Task.Run(() => meta.ReleaseAsync("b", openId)))
                .WaitAsync(MetaServiceHarness.Timeout);

            // Released while waiting (the open fails) or once held (it succeeded): both leave nothing behind.
            try
            {
                await waiting.WaitAsync(MetaServiceHarness.Timeout);
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.Cancelled)
            {
            }

            Assert.Equal(0, meta.Opens.Count);
            Assert.Equal(0, meta.Locks.Count);
        }
    }

    private static async Task CloseIfGrantedAsync(MetaServiceHarness meta, string clientId, Task<OpenReply> open)
    {
        try
        {
            var reply = await open.WaitAsync(MetaServiceHarness.Timeout);
            await meta.CloseAsync(clientId, reply.Handle);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.Cancelled)
        {
            // The cancellation won.
        }
    }
}
