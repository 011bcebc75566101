using Pfs.Client;
using Pfs.LocalCluster;
using Pfs.Tests.Fixtures;
using Pfs.Tests.Integration.Cli;

namespace Pfs.Tests.Integration.Redundancy;

/// <summary>More servers down than a file's parity covers: the read fails at once, naming the file and what is missing.</summary>
public sealed class BeyondToleranceTests
{
    [Fact]
    public async Task CatOfAFileWithMoreServersDownThanItsParityNamesTheFileAndTheShardsOutOfReach()
    {
        await using var cluster = await PfsCluster.StartAsync(fileServers: 3);
        await using (var client = await cluster.ConnectAsync())
        {
            await client.CreateAsync("ec.bin", new PfsCreateOptions { StripeWidth = 2, ParityBlocks = 1, BlockSize = 64 * 1024 });
            await using var file = await client.OpenAsync("ec.bin", PfsOpenMode.Write);
            await file.WriteAsync(TestData.Bytes(1_000_000, seed: 8), 0);
        }

        await cluster.StopFileServerAsync(1);
        await cluster.StopFileServerAsync(2);
        var cat = await CliRunner.RunAsync(cluster, "cat", "ec.bin");

        CliRunner.AssertFailed(cat, 1, "'ec.bin'");
        Assert.Contains("shards within reach", cat.Stderr);
        Assert.DoesNotContain("subchannel", cat.Stderr);
    }
}
