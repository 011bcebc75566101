using Polly;
using Polly.Retry;
using StackExchange.Redis;

namespace Pfs.MetaServer.Registry;

/// <summary>
/// Loads the namespace from the store at start. Hosted services start before the web server listens,
/// so no RPC is answered from an empty namespace. A store that is slow or not reachable yet (Redis
/// starting, or too busy to answer within its timeout) is waited for, a minute at most, rather than
/// the server failing to start: loading again is what a restart would do (nothing is held yet, and
/// the reclaimer ignores a file it already has).
/// </summary>
internal sealed partial class NamespaceLoader(Namespace names, ILogger<NamespaceLoader> logger) : IHostedService
{
    private readonly ResiliencePipeline _retry = new ResiliencePipelineBuilder()
        .AddRetry(new RetryStrategyOptions
        {
            ShouldHandle = new PredicateBuilder().Handle<RedisTimeoutException>().Handle<RedisConnectionException>(),
            MaxRetryAttempts = 8,
            BackoffType = DelayBackoffType.Exponential,
            Delay = TimeSpan.FromMilliseconds(250),
            MaxDelay = TimeSpan.FromSeconds(5),
            OnRetry = args =>
            {
                LogStoreRetry(logger, args.AttemptNumber + 1, args.RetryDelay.TotalSeconds, args.Outcome.Exception?.Message ?? "no answer");
                return ValueTask.CompletedTask;
            },
        })
        .Build();

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var loaded = await _retry.ExecuteAsync(async token => await names.LoadAsync(token).ConfigureAwait(false), cancellationToken)
            .ConfigureAwait(false);
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

    [LoggerMessage(EventId = 52, EventName = "StoreRetry", Level = LogLevel.Warning, Message = "Loading the namespace failed (attempt {Attempt}), trying again in {DelaySeconds:0.0} s: {Reason}")]
    private static partial void LogStoreRetry(ILogger logger, int attempt, double delaySeconds, string reason);

    [LoggerMessage(EventId = 51, EventName = "InMemoryOnly", Level = LogLevel.Warning, Message = "No Redis store configured: metadata is kept in memory only and is lost when this server stops; {FileServers} file server(s) configured")]
    private static partial void LogInMemoryOnly(ILogger logger, int fileServers);
}
