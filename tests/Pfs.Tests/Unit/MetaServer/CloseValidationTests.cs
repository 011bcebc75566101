using Grpc.Core;
using Pfs.Protocol;
using Pfs.Protocol.Meta;
using Pfs.Tests.Fixtures;

namespace Pfs.Tests.Unit.MetaServer;

/// <summary>
/// Issue 16 row 4: a writer's close may not record a size or dirty blocks no writer could have
/// written (each file server holds at most <see cref="PfsLimits.MaxObjectBytes"/> of a file), and
/// the status report never fails on what is stored.
/// </summary>
public sealed class CloseValidationTests
{
    [Theory]
    [InlineData(long.MaxValue)]
    [InlineData((2L << 40) + 1)]
    public async Task ASizeBeyondWhatTheStripeCanHoldIsRefusedAndNothingChanges(long size)
    {
        await using var meta = await MetaServiceHarness.StartAsync(fileServers: 2);
        await meta.CreateAsync("huge", stripeWidth: 2);
        var writer = await meta.OpenAsync("w", "huge", LockMode.Write);

        var refused = await Assert.ThrowsAsync<RpcException>(() => meta.CloseAsync("w", writer.Handle, size));
        await meta.CloseAsync("w", writer.Handle, size: 10);
        var status = await meta.Service.ClusterStatus(new ClusterStatusRequest(), new TestServerCallContext());

        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.Contains("stripe width 2", refused.Status.Detail, StringComparison.Ordinal);
        Assert.Equal(10, (await meta.StatAsync("huge")).File.Size);
        Assert.Equal(10, status.TotalBytes);
    }

    [Fact]
    public async Task TheLargestSizeAStripeCanHoldIsAccepted()
    {
        await using var meta = await MetaServiceHarness.StartAsync(fileServers: 2);
        await meta.CreateAsync("full", stripeWidth: 2);
        var writer = await meta.OpenAsync("w", "full", LockMode.Write);

        await meta.CloseAsync("w", writer.Handle, size: 2 * PfsLimits.MaxObjectBytes);

        Assert.Equal(2 * PfsLimits.MaxObjectBytes, (await meta.StatAsync("full")).File.Size);
    }

    [Fact]
    public async Task DirtyBlocksPastWhatTheStripeCanHoldAreRefused()
    {
        await using var meta = await MetaServiceHarness.StartAsync(fileServers: 1);
        await meta.CreateAsync("dirty", stripeWidth: 1, blockSize: 4096);
        var writer = await meta.OpenAsync("w", "dirty", LockMode.Write);
        var blocks = PfsLimits.MaxObjectBytes / 4096;

        var refused = await Assert.ThrowsAsync<RpcException>(() => meta.CloseAsync("w", writer.Handle, 4096, (blocks - 1, 2)));
        await meta.CloseAsync("w", writer.Handle, 4096, (blocks - 1, 1));

        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.Equal(4096, (await meta.StatAsync("dirty")).File.Size);
    }
}
