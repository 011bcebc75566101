using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using StackExchange.Redis;

namespace Pfs.MetaServer.Persistence;

/// <summary>Chooses the <see cref="IMetadataStore"/>: the one the host registered, else by the options.</summary>
internal static class MetadataStoreRegistration
{
    /// <summary>The Aspire connection name: <c>ConnectionStrings:redis</c>, and the AppHost's resource name.</summary>
    public const string RedisConnectionName = "redis";

    /// <summary>
    /// With <see cref="MetaServerOptions.Redis"/> set (from <c>--redis</c> or <c>ConnectionStrings:redis</c>) and
    /// no store supplied by the host, registers the Redis connection through Aspire.StackExchange.Redis
    /// (health check and tracing included).
    /// </summary>
    public static IHostApplicationBuilder AddMetadataStoreConnection(this IHostApplicationBuilder builder, MetaServerOptions options)
    {
        if (HasStore(builder.Services) || options.Redis is null)
        {
            return builder;
        }

        builder.AddRedisClient(RedisConnectionName,
            settings =>
            {
                settings.ConnectionString = options.Redis;
                // Aspire's check PINGs every time it runs, and each PING is a trace of its own in the
                // dashboard; the connection state says the same without a command.
                settings.DisableHealthChecks = true;
            },
            ConfigureRedis);
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(RedisConnectionName,
            services => new RedisConnectedHealthCheck(services.GetRequiredService<IConnectionMultiplexer>()), failureStatus: null, tags: null));
        return builder;
    }

    public static IServiceCollection AddMetadataStore(this IServiceCollection services, MetaServerOptions options)
    {
        if (HasStore(services))
        {
            // Supplied by the host (a test fixture, or Aspire): it wins over the options.
            return services;
        }

        if (options.Redis is null)
        {
            return services.AddSingleton<IMetadataStore, InMemoryMetadataStore>();
        }

        // Normally AddMetadataStoreConnection registered the connection already; this covers hosts that only have services.
        services.TryAddSingleton<IConnectionMultiplexer>(_ =>
        {
            var configuration = ConfigurationOptions.Parse(options.Redis);
            ConfigureRedis(configuration);
            return ConnectionMultiplexer.Connect(configuration);
        });
        return services.AddSingleton<IMetadataStore, RedisMetadataStore>();
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
