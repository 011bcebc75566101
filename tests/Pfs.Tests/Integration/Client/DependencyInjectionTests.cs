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
            settings => settings.MetaServer = fixture.Cluster.MetaServerAddress);

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

    private static ServiceProvider Build(Dictionary<string, string?> configuration, Action<PfsClientSettings>? configure = null)
    {
        var services = new ServiceCollection();
        services.AddSingleton<IConfiguration>(new ConfigurationBuilder().AddInMemoryCollection(configuration).Build());
        services.AddPfsClient(configure);
        return services.BuildServiceProvider();
    }
}
