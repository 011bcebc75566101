using Pfs.Consistency;
using Pfs.LocalCluster;
using Xunit.Abstractions;

namespace Pfs.Tests.Integration.Client;

public sealed class ConsistencyTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public async Task RandomMultiClientHistoriesMatchTheLockProtocolModel(int seed)
    {
        await using var cluster = await PfsCluster.StartAsync(fileServers: 3);
        var checker = new ConsistencyChecker(cluster, new CheckerOptions { Seed = seed, Operations = 1500, TimeLimit = TimeSpan.FromMinutes(2) });

        var result = await checker.RunAsync().WaitAsync(TimeSpan.FromMinutes(4));

        output.WriteLine($"{result.Operations} operations, {result.Reads} reads checked, {result.OperationsPerSecond:0} ops/s");
        Assert.True(result.Operations >= 1500, $"the run stopped early after {result.Operations} operations");
        Assert.True(result.Reads > 300, "too few reads were checked to mean anything");
    }
}
