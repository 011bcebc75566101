using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Pfs.MetaServer.Registry;

/// <summary>
/// Loads the namespace from the store at start. Hosted services start before the web server listens,
/// so no RPC is answered from an empty namespace.
/// </summary>
internal sealed partial class NamespaceLoader(Namespace names, ILogger<NamespaceLoader> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var loaded = await names.LoadAsync(cancellationToken).ConfigureAwait(false);
        if (names.Store.IsDurable)
        {
            LogLoaded(logger, loaded.Nodes, loaded.Files, loaded.Elapsed.TotalMilliseconds, loaded.Migrated, loaded.OrphansFreed,
                loaded.Reclaiming, names.FileServers.Count);
        }
        else
        {
            LogInMemoryOnly(logger, names.FileServers.Count);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(EventId = 50, EventName = "NamespaceLoaded", Level = LogLevel.Information, Message = "Loaded {Nodes} node(s), {Files} of them files, from the metadata store in {ElapsedMs:0} ms ({Migrated} migrated from version 1, {Orphans} orphan(s) freed, {Reclaiming} file(s) to reclaim); {FileServers} file server(s) configured")]
    private static partial void LogLoaded(ILogger logger, int nodes, int files, double elapsedMs, int migrated, int orphans, int reclaiming, int fileServers);

    [LoggerMessage(EventId = 51, EventName = "InMemoryOnly", Level = LogLevel.Warning, Message = "No Redis store configured: metadata is kept in memory only and is lost when this server stops; {FileServers} file server(s) configured")]
    private static partial void LogInMemoryOnly(ILogger logger, int fileServers);
}
