using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Pfs.FileServer;
using Pfs.MetaServer;
using Pfs.Tests.Fixtures;

namespace Pfs.Tests.Unit.ServiceDefaults;

/// <summary>
/// Servers read their configuration files once: a watched appsettings.json puts recursive inotify watches on the
/// whole working directory at start, which walked into a mount of the cluster and held a restarting metadata
/// server for some 40 s.
/// </summary>
public sealed class ConfigurationWatchTests : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("pfs-watch-").FullName;

    public void Dispose() => Directory.Delete(_data, recursive: true);

    [Fact]
    public async Task NeitherServerWatchesItsConfigurationFiles()
    {
        await using var meta = MetaServerApp.Build(new MetaServerOptions { Port = 0, FileServers = ["localhost:1"], ClusterKey = TestCaps.Key });
        await using var file = FileServerApp.Build(new Pfs.FileServer.FileServerOptions { Port = 0, DataDirectory = _data, ClusterKey = TestCaps.Key });

        foreach (var app in new WebApplication[] { meta, file })
        {
            var files = ((IConfigurationRoot)app.Configuration).Providers.OfType<FileConfigurationProvider>().ToList();
            Assert.NotEmpty(files);
            Assert.All(files, provider => Assert.False(provider.Source.ReloadOnChange, $"{provider.Source.Path} is watched"));
        }
    }
}
