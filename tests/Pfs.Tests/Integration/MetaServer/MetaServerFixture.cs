using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Pfs.MetaServer;
using Pfs.Protocol.Meta;
using Pfs.ServiceDefaults;

namespace Pfs.Tests.Integration.MetaServer;

/// <summary>A real metadata server on 127.0.0.1 (any free port) and a channel to it; tests use their own file names.</summary>
public sealed class MetaServerFixture : IAsyncLifetime
{
    private WebApplication? _app;

    public static IReadOnlyList<string> FileServers { get; } = ["localhost:50052", "localhost:50053", "localhost:50054"];

    public Uri Address { get; private set; } = null!;

    public GrpcChannel Channel { get; private set; } = null!;

    public MetaService.MetaServiceClient Client { get; private set; } = null!;

    /// <summary>The server's services, for <see cref="Fixtures.MetaProbe"/>.</summary>
    public IServiceProvider Services => _app!.Services;

    public async Task InitializeAsync()
    {
        _app = MetaServerApp.Build(new MetaServerOptions { Port = 0, BindAddress = "127.0.0.1", FileServers = FileServers, ClusterKey = Fixtures.TestCaps.Key });
        await _app.StartAsync().WaitAsync(TimeSpan.FromSeconds(30));
        Address = _app.GetListenAddress();
        Channel = GrpcChannel.ForAddress(Address);
        Client = new MetaService.MetaServiceClient(Channel);
    }

    public async Task DisposeAsync()
    {
        Channel?.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync().WaitAsync(TimeSpan.FromSeconds(30));
            await _app.DisposeAsync();
        }
    }
}
