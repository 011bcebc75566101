using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Logging;
using Pfs.FileServer;
using Pfs.ServiceDefaults;
using Pfs.Tests.Unit.FileServer;
// Microsoft.AspNetCore.Builder has a FileServerOptions too (static files).
using FileServerOptions = Pfs.FileServer.FileServerOptions;

namespace Pfs.Tests.Integration.FileServer;

/// <summary>One real file server on 127.0.0.1 (free port) in this process, shared by a test class.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "The directory is disposed in IAsyncLifetime.DisposeAsync, which xunit calls.")]
public sealed class FileServerFixture : IAsyncLifetime
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(30);

    private readonly TempDirectory _directory = new();
    private WebApplication? _app;

    public string DataDirectory => Path.Join(_directory.FullPath, "data");

    /// <summary>Every entry under the directory that holds <see cref="DataDirectory"/>, relative and sorted.</summary>
    public IReadOnlyList<string> Tree() => _directory.Tree();

    public Uri Address { get; private set; } = null!;

    public GrpcChannel Channel { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _app = FileServerApp.Build(
            new FileServerOptions { Port = 0, BindAddress = "127.0.0.1", DataDirectory = DataDirectory, ClusterKey = Fixtures.TestCaps.Key },
            configure: builder => builder.Logging.SetMinimumLevel(LogLevel.Warning));
        await _app.StartAsync().WaitAsync(StartTimeout);
        Address = _app.GetListenAddress();
        Channel = GrpcChannel.ForAddress(Address, new GrpcChannelOptions
        {
            MaxReceiveMessageSize = PfsServerHosting.MaxMessageBytes,
            MaxSendMessageSize = PfsServerHosting.MaxMessageBytes,
        });
    }

    public async Task DisposeAsync()
    {
        Channel?.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync().WaitAsync(StartTimeout);
            await _app.DisposeAsync();
        }

        _directory.Dispose();
    }
}
