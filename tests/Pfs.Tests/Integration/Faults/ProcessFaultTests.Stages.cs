using Pfs.Client;
using Pfs.LocalCluster;
using Pfs.Tests.Fixtures;

namespace Pfs.Tests.Integration.Faults;

/// <summary>Issue 16 row 1: a dead writer's stages go when its lease ends, not when a later holder happens by.</summary>
public sealed partial class ProcessFaultTests
{
    [Fact]
    public async Task ADeadWritersStagesAreDroppedOnEveryFileServerWhenItsLeaseEndsThoughNobodyTouchesTheFile()
    {
        // Arrange: a holder process whose unclosed write spilled to both file servers' stages
        const int HeldBytes = 256 * 1024;
        await using var cluster = await PfsCluster.StartAsync(fileServers: 2, leaseTimeout: TimeSpan.FromSeconds(1));
        await using var client = await cluster.ConnectAsync();
        await client.CreateAsync("abandoned", stripeWidth: 2);
        using var holder = StartHolder(cluster, "abandoned", HeldBytes);
        await holder.WaitForAsync("holding", Timeout);
        var stagedOn = Enumerable.Range(0, 2).Count(server => StripeObjectFiles.StageFiles(cluster, server).Length > 0);

        // Act: the holder dies; nobody opens the file again
        await holder.KillAsync();
        await Fixtures.Wait.UntilAsync(
            () => StripeObjectFiles.StageFiles(cluster, 0).Length + StripeObjectFiles.StageFiles(cluster, 1).Length == 0,
            "the dead writer's stages are gone from both file servers",
            Timeout);

        // Assert: both servers had stages; the file is as last committed (empty) and writable again
        Assert.Equal(2, stagedOn);
        await using var file = await client.OpenAsync("abandoned", PfsOpenMode.Write).WaitAsync(Timeout);
        Assert.Equal(0, (await file.StatAsync()).Size);
        await file.WriteAsync("next"u8.ToArray(), 0);
        await file.CloseAsync();
        Assert.Equal(4, (await client.StatAsync("abandoned")).Size);
    }
}
