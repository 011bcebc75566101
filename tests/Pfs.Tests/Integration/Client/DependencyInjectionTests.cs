using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Pfs.Client;
using Pfs.Tests.Fixtures;

namespace Pfs.Tests.Integration.Client;

/// <summary><c>services.AddPfsClient()</c> with configuration as Aspire and appsettings provide it.</summary>
[Collection(ClusterCollection.Name)]
public sealed class DependencyInjectionTests(ClusterFixture fixture)
{
    [Fact]
    public async Task TheMetadataServerAddressComesFromAspireServiceDiscovery()
    {
        var name = fixture.UniqueName("di-discovery");
        await using var services = Build(new() { ["services:metaserver:http:0"] = fixture.Cluster.MetaServerAddress.ToString() });

        var client = await services.GetRequiredService<PfsClientProvider>().GetClientAsync();
        await client.CreateAsync(name, stripeWidth: 2);

        Assert.Contains(await client.ListAsync(), file => file.Name == name);
    }

    [Fact]
    public async Task PfsMetaServerInConfigurationWinsOverServiceDiscovery()
    {
        await using var services = Build(new()
        {
            ["Pfs:MetaServer"] = fixture.Cluster.MetaServerAddress.ToString(),
            ["services:metaserver:http:0"] = "http://127.0.0.1:1",
            ["Pfs:ClientId"] = "configured-client",
            ["Pfs:CacheBlocks"] = "32",
        });

        var provider = services.GetRequiredService<PfsClientProvider>();
        await (await provider.GetClientAsync()).ListAsync();

        Assert.Equal(fixture.Cluster.MetaServerAddress, provider.Options.MetaServer);
        Assert.Equal("configured-client", provider.Options.ClientId);
        Assert.Equal(32, provider.Options.CacheBlocks);
    }

    [Fact]
    public async Task CodeConfigurationWinsOverConfigurationAndTheClientIdDefaultsToMachineAndProcess()
    {
        await using var services = Build(
            new() { ["Pfs:MetaServer"] = "http://127.0.0.1:1" },
            options => options with { MetaServer = fixture.Cluster.MetaServerAddress });

        var provider = services.GetRequiredService<PfsClientProvider>();
        await (await provider.GetClientAsync()).ListAsync();

        Assert.Equal(fixture.Cluster.MetaServerAddress, provider.Options.MetaServer);
        Assert.StartsWith($"{Environment.MachineName}-{Environment.ProcessId}", provider.Options.ClientId);
    }

    [Fact]
    public async Task TheProviderIsASingletonThatConnectsOnceAndIsDisposedWithTheContainer()
    {
        var services = Build(new() { ["services:metaserver:http:0"] = fixture.Cluster.MetaServerAddress.ToString() });
        var provider = services.GetRequiredService<PfsClientProvider>();

        var calls = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => provider.GetClientAsync()));
        var again = await services.GetRequiredService<PfsClientProvider>().GetClientAsync();
        await services.DisposeAsync();

        Assert.All(calls, client => Assert.Same(calls[0], client));
        Assert.Same(calls[0], again);
        var closed = await Assert.ThrowsAsync<PfsException>(() => calls[0].ListAsync());
        Assert.Equal(PfsErrorCode.Closed, closed.Code);
    }

    [Fact]
    public async Task WithoutAnAddressResolvingTheProviderFailsWithAClearMessage()
    {
        await using var services = Build([]);

        var ex = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<PfsClientProvider>());
        Assert.Contains("Pfs:MetaServer", ex.Message);
    }

    [Fact]
    public async Task EverySettingBindsFromThePfsSection()
    {
        await using var services = Build(new()
        {
            ["Pfs:MetaServer"] = fixture.Cluster.MetaServerAddress.ToString(),
            ["Pfs:ClientId"] = "bound-client",
            ["Pfs:CacheBlocks"] = "64",
            ["Pfs:OperationTimeout"] = "00:00:07",
            ["Pfs:MaxCallBytes"] = "65536",
            ["Pfs:MaxConcurrentCalls"] = "3",
            ["Pfs:WriteBehindBytes"] = "4096",
        });

        var options = services.GetRequiredService<PfsClientProvider>().Options;

        Assert.Equal(
            (64, TimeSpan.FromSeconds(7), 65536, 3, 4096L),
            (options.CacheBlocks, options.OperationTimeout, options.MaxCallBytes, options.MaxConcurrentCalls, options.WriteBehindBytes));
        var stats = await WriteAndCloseAsync(await services.GetRequiredService<PfsClientProvider>().GetClientAsync(), fixture.UniqueName("di-bound"));
        Assert.True(stats.Evictions > 0, "a 64-block cache evicts while 256 blocks are written");
    }

    [Fact]
    public void ABadSettingFailsAtStartWithTheRuleDeclaredBesideIt()
    {
        using var services = Build(new()
        {
            ["Pfs:MetaServer"] = fixture.Cluster.MetaServerAddress.ToString(),
            ["Pfs:CacheBlocks"] = "0",
            ["Pfs:WriteBehindBytes"] = "-1",
        });

        var ex = Assert.Throws<OptionsValidationException>(() => services.GetRequiredService<IStartupValidator>().Validate());
        Assert.Contains("CacheBlocks: must be at least 1, not 0", ex.Message);
        Assert.Contains("WriteBehindBytes: must be at least 0, not -1", ex.Message);
    }

    private static async Task<PfsCacheStats> WriteAndCloseAsync(PfsClient client, string name)
    {
        await client.CreateAsync(name, stripeWidth: 2);
        await using (var file = await client.OpenAsync(name, PfsOpenMode.Write))
        {
            await file.WriteAsync(TestData.Bytes(256 * 512, seed: 5), 0);
        }

        return client.Stats;
    }

    private static ServiceProvider Build(Dictionary<string, string?> configuration, Func<PfsClientOptions, PfsClientOptions>? configure = null)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(configuration).Build());
        services.AddPfsClient(configure);
        return services.BuildServiceProvider();
    }
}
