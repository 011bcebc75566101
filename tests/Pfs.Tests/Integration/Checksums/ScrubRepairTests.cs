using Pfs.Client;
using Pfs.Tests.Fixtures;
using Pfs.Tests.Integration.Cli;
using Xunit.Abstractions;

namespace Pfs.Tests.Integration.Checksums;

/// <summary>
/// Repair collects the file servers' damage lists (issue 13, item 5): damage the scrub found on a disk,
/// with nobody reading it, is rebuilt by <c>pfs repair --wait</c>; damage on a file without parity is
/// named as unrepairable. Real processes, a byte flipped in a real object file.
/// </summary>
public sealed class ScrubRepairTests(ITestOutputHelper output)
{
    private const int BlockSize = 4096;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task DamageTheScrubFoundIsRebuiltByPfsRepairWaitAndLeavesTheServersList()
    {
        // Arrange: a 2+1 file; stripe 3's parity shard lives on position (2 + 3) % 3 = 2, its local block 3.
        await using var cluster = await ChecksumCluster.StartAsync(fileServers: 3, scrubMbps: 1000);
        var data = TestData.Bytes((10 * BlockSize) + 123, 43);
        await cluster.WriteFileAsync("scrubbed.bin", new PfsCreateOptions { StripeWidth = 2, ParityBlocks = 1, BlockSize = BlockSize }, data);

        var id = await cluster.FileIdAsync("scrubbed.bin");
        ChecksumCluster.FlipByte(cluster.ObjectFile(2, id), (3 * BlockSize) + 17);
        await Wait.UntilAsync(async () => (await cluster.ListDamageAsync(2)).Count > 0, "the scrub lists the damaged block", Timeout);
        Assert.Equal(3L * BlockSize, Assert.Single(await cluster.ListDamageAsync(2)).Offset);

        // Act
        var result = await CliRunner.RunRawAsync(["--meta", cluster.MetaAddress.ToString(), "repair", "--wait"]);

        // Assert
        output.WriteLine(result.ToString());
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("repairing 'scrubbed.bin'", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("every file is fully redundant", result.Stdout, StringComparison.Ordinal);
        Assert.Empty(await cluster.ListDamageAsync(2));
        // The rebuilt shards are needed now: with another server gone, position 2 makes up the K.
        await cluster.FileServers[0].KillAsync();
        Assert.Equal(data, await cluster.ReadAllAsync("scrubbed.bin", data.Length));
    }

    [Fact]
    public async Task DamageOnAFileWithoutParityIsNamedAsUnrepairable()
    {
        // Arrange: a width-2 file with no parity; file block 5 is server 1's local block 2.
        await using var cluster = await ChecksumCluster.StartAsync(fileServers: 2, scrubMbps: 1000);
        await using var client = await cluster.ConnectAsync();
        await cluster.WriteFileAsync("plain.bin", new PfsCreateOptions { StripeWidth = 2, BlockSize = BlockSize }, TestData.Bytes(8 * BlockSize, 47));

        var id = await cluster.FileIdAsync("plain.bin");
        ChecksumCluster.FlipByte(cluster.ObjectFile(1, id), (2 * BlockSize) + 1);
        await Wait.UntilAsync(async () => (await cluster.ListDamageAsync(1)).Count > 0, "the scrub lists the damaged block", Timeout);

        // Act
        var report = await client.RepairAsync().WaitAsync(Timeout);
        var result = await CliRunner.RunRawAsync(["--meta", cluster.MetaAddress.ToString(), "repair", "--wait"]);

        // Assert
        var failure = Assert.Single(report.Failures);
        Assert.Equal(("plain.bin", id), (failure.Name, failure.Inode));
        Assert.Contains($"byte offset {5 * BlockSize}", failure.Reason, StringComparison.Ordinal);
        output.WriteLine(result.ToString());
        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("cannot repair 'plain.bin'", result.Stderr, StringComparison.Ordinal);
        Assert.Single(await cluster.ListDamageAsync(1));
    }
}
