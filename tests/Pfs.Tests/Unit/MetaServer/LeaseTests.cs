using Grpc.Core;
using Pfs.Protocol.Meta;

namespace Pfs.Tests.Unit.MetaServer;

public sealed class LeaseTests
{
    private static readonly TimeSpan ShortLease = TimeSpan.FromMilliseconds(300);

    [Fact]
    public async Task ADisconnectedClientLosesItsWriteLockWhenItsLeaseExpires()
    {
        await using var meta = await MetaServiceHarness.StartAsync(leaseTimeout: ShortLease);
        var created = await meta.CreateAsync("f");
        var writerStream = await meta.SubscribeAsync("writer");
        var writer = await meta.OpenAsync("writer", "f", LockMode.Write, openId: 1);
        var reader = meta.OpenAsync("reader", "f", LockMode.Read);

        writerStream.Cancel();

        var granted = await reader.WaitAsync(MetaServiceHarness.Timeout);
        // Released as if never written: no size, mtime or version change.
        Assert.Equal(created, granted.File);
        var ex = await MetaServiceHarness.ThrowsAsync(StatusCode.FailedPrecondition, meta.CloseAsync("writer", writer.Handle, 100, (0, 1)));
        Assert.Contains("lease expired", ex.Status.Detail, StringComparison.Ordinal);
        await MetaServiceHarness.ThrowsAsync(StatusCode.FailedPrecondition, meta.ReleaseAsync("writer", 1));
    }

    [Fact]
    public async Task AClientThatResubscribesWithinItsLeaseKeepsItsHandles()
    {
        await using var meta = await MetaServiceHarness.StartAsync(leaseTimeout: TimeSpan.FromSeconds(30));
        await meta.CreateAsync("f");
        var first = await meta.SubscribeAsync("writer");
        var writer = await meta.OpenAsync("writer", "f", LockMode.Write);
        first.Cancel();
        await first.Completion.WaitAsync(MetaServiceHarness.Timeout);
        Assert.Equal(1, meta.Leases.PendingExpiries);

        await meta.SubscribeAsync("writer");

        Assert.Equal(0, meta.Leases.PendingExpiries);
        var closed = await meta.CloseAsync("writer", writer.Handle, 10, (0, 1));
        Assert.Equal(10, closed.File.Size);
    }

    [Fact]
    public async Task AClientThatNeverSubscribesLosesItsHandlesAfterTheLease()
    {
        await using var meta = await MetaServiceHarness.StartAsync(leaseTimeout: ShortLease);
        await meta.CreateAsync("f");
        await meta.OpenAsync("silent", "f", LockMode.Write);

        var other = await meta.OpenAsync("other", "f", LockMode.Write).WaitAsync(MetaServiceHarness.Timeout);

        Assert.NotEqual(0UL, other.Handle);
    }

    [Fact]
    public async Task AConnectedClientStartsNoLeaseTimer()
    {
        await using var meta = await MetaServiceHarness.StartAsync(leaseTimeout: ShortLease);
        await meta.CreateAsync("f");
        await meta.SubscribeAsync("a");

        await meta.OpenAsync("a", "f", LockMode.Write);

        Assert.Equal(0, meta.Leases.PendingExpiries);
    }
}
