using Pfs.Protocol.Meta;
using Pfs.Tests.Fixtures;

namespace Pfs.Tests.Unit.MetaServer;

public sealed class ClusterStatusTests
{
    [Fact]
    public async Task ClusterStatusReportsServersFilesOpensLocksAndSubscribers()
    {
        await using var meta = await MetaServiceHarness.StartAsync(fileServers: 3);
        await meta.CreateAsync("read-me", stripeWidth: 3);
        await meta.CreateAsync("write-me", stripeWidth: 1);
        await meta.SubscribeAsync("a");
        await meta.OpenAsync("a", "read-me", LockMode.Read);
        await meta.OpenAsync("b", "read-me", LockMode.Read);
        var writer = await meta.OpenAsync("c", "write-me", LockMode.Write);
        var waiting = meta.OpenAsync("d", "write-me", LockMode.Read);
        await meta.CloseAsync("c", writer.Handle, size: 4096, (0, 8));
        await waiting.WaitAsync(MetaServiceHarness.Timeout);
        var pending = meta.OpenAsync("e", "read-me", LockMode.Write);

        var status = await meta.Service.ClusterStatus(new ClusterStatusRequest(), new TestServerCallContext());

        Assert.Equal(["http://localhost:50052", "http://localhost:50053", "http://localhost:50054"], status.FileServers);
        Assert.Equal(2, status.FileCount);
        Assert.Equal(4096, status.TotalBytes);
        Assert.Equal((3, 0), (status.OpenRead, status.OpenWrite));
        Assert.Equal((3, 1), (status.LocksHeld, status.LocksWaiting));
        Assert.Equal(1, status.SubscribedClients);
        Assert.False(pending.IsCompleted);
    }

    [Fact]
    public async Task AnIdleServerReportsNothingHeld()
    {
        await using var meta = await MetaServiceHarness.StartAsync(fileServers: 2);

        var status = await meta.Service.ClusterStatus(new ClusterStatusRequest(), new TestServerCallContext());

        Assert.Equal(2, status.FileServers.Count);
        Assert.Equal((0L, 0L, 0, 0, 0, 0, 0), (status.FileCount, status.TotalBytes, status.OpenRead, status.OpenWrite, status.LocksHeld, status.LocksWaiting, status.SubscribedClients));
    }
}
