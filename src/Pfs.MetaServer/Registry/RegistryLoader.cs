using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Pfs.MetaServer.Registry;

/// <summary>
/// Loads the registry from the store at start. Hosted services start before the web server
/// listens, so no RPC is answered from an empty registry.
/// </summary>
internal sealed partial class RegistryLoader(FileRegistry registry, ILogger<RegistryLoader> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var count = await registry.LoadAsync(cancellationToken).ConfigureAwait(false);
        if (registry.Store.IsDurable)
        {
            LogLoaded(logger, count, registry.FileServerCount);
        }
        else
        {
            LogInMemoryOnly(logger, registry.FileServerCount);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 50, EventName = "RegistryLoaded", Level = LogLevel.Information, Message = "Loaded {Count} file(s) from the metadata store; {FileServers} file server(s) configured")]
    private static partial void LogLoaded(ILogger logger, int count, int fileServers);

    [LoggerMessage(EventId = 51, EventName = "InMemoryOnly", Level = LogLevel.Warning, Message = "No Redis store configured: metadata is kept in memory only and is lost when this server stops; {FileServers} file server(s) configured")]
    private static partial void LogInMemoryOnly(ILogger logger, int fileServers);
}
