using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using StackExchange.Redis;

namespace Pfs.MetaServer.Persistence;

/// <summary>Chooses the <see cref="IMetadataStore"/>: the one the host registered, else by the options.</summary>
internal static class MetadataStoreRegistration
{
    /// <summary>The Aspire connection name: <c>ConnectionStrings:redis</c>, and the AppHost's resource name.</summary>
    public const string RedisConnectionName = "redis";

    /// <summary>
    /// With a Redis connection string configured (<c>ConnectionStrings:redis</c>, which <c>--redis</c> and
    /// <see cref="MetaServerOptions.Redis"/> set) and no store supplied by the host, registers the
    /// connection through Aspire.StackExchange.Redis (tracing included), which reads that key itself.
    /// </summary>
    public static IHostApplicationBuilder AddMetadataStoreConnection(this IHostApplicationBuilder builder)
    {
        if (HasStore(builder.Services) || string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString(RedisConnectionName)))
        {
            return builder;
        }

        // StackExchange.Redis logs each connect attempt in some thirty lines at Information (elections,
        // endpoint summaries): a metadata server waiting for its Redis filled a screen a second. Its
        // warnings and failures still show, and the server logs each attempt to load the namespace.
        builder.Logging.AddFilter("StackExchange.Redis", LogLevel.Warning);
        builder.AddRedisClient(RedisConnectionName,
            settings =>
            {
                // Aspire's check PINGs every time it runs, and each PING is a trace of its own in the
                // dashboard; the connection state says the same without a command.
                settings.DisableHealthChecks = true;
                // As the service defaults do: with no OTLP endpoint nobody reads the traces, and Redis
                // tracing profiles every command (a session object per command) to make them.
                settings.DisableTracing = string.IsNullOrWhiteSpace(builder.Configuration[Pfs.ServiceDefaults.Extensions.OtlpEndpointKey]);
            },
            ConfigureRedis);
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(RedisConnectionName,
            services => new RedisConnectedHealthCheck(services.GetRequiredService<IConnectionMultiplexer>()), failureStatus: null, tags: null));
        return builder;
    }

    /// <summary>
    /// The store the host registered, else Redis when <see cref="MetaServerOptions.Redis"/> is set,
    /// else memory only.
    /// </summary>
    public static IServiceCollection AddMetadataStore(this IServiceCollection services)
    {
        // Normally AddMetadataStoreConnection registered the connection already; this covers hosts that only have services.
        services.TryAddSingleton<IConnectionMultiplexer>(provider =>
        {
            var redis = provider.GetRequiredService<MetaServerOptions>().Redis
                ?? throw new InvalidOperationException("no Redis connection string is configured");
            var configuration = ConfigurationOptions.Parse(redis);
            ConfigureRedis(configuration);
            return ConnectionMultiplexer.Connect(configuration);
        });
        services.TryAddSingleton<IMetadataStore>(provider =>
        {
            var options = provider.GetRequiredService<MetaServerOptions>();
            return options.Redis is null
                ? new InMemoryMetadataStore()
                : new RedisMetadataStore(provider.GetRequiredService<IConnectionMultiplexer>(),
                    provider.GetRequiredService<ILogger<RedisMetadataStore>>(), RedisMetadataStore.DefaultKeyPrefix,
                    provider.GetRequiredService<CrashPoints>());
        });
        return services;
    }

    /// <summary>
    /// A Redis that is down at start must not stop the server from trying again, and a mutation
    /// while it is down fails (as Unavailable) within a few seconds rather than hanging.
    /// </summary>
    internal static void ConfigureRedis(ConfigurationOptions configuration)
    {
        configuration.AbortOnConnectFail = false;
        configuration.ConnectTimeout = Math.Min(configuration.ConnectTimeout, 5000);
        configuration.AsyncTimeout = Math.Min(configuration.AsyncTimeout, 5000);
        configuration.SyncTimeout = Math.Min(configuration.SyncTimeout, 5000);
        configuration.ClientName ??= "pfs-metaserver";
    }

    private static bool HasStore(IServiceCollection services) =>
        services.Any(descriptor => descriptor.ServiceType == typeof(IMetadataStore));
}
