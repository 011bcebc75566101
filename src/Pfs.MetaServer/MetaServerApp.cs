using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Pfs.MetaServer.Locking;
using Pfs.MetaServer.Persistence;
using Pfs.MetaServer.Registry;
using Pfs.MetaServer.Services;
using Pfs.MetaServer.Sessions;
using Pfs.ServiceDefaults;

namespace Pfs.MetaServer;

/// <summary>Builds a metadata server: used by Program, by Aspire and by test fixtures.</summary>
public static class MetaServerApp
{
    /// <summary>
    /// A ready-to-start server. The registry is loaded from the store during <c>StartAsync</c>, before the
    /// server listens. <paramref name="configure"/> runs after the gRPC and health services are added but
    /// before the metadata services, which are only added where nothing is registered yet: register an
    /// <see cref="IMetadataStore"/> (or a <see cref="TimeProvider"/>) there to replace the default.
    /// </summary>
    /// <exception cref="ArgumentException">An option is missing or malformed.</exception>
    public static WebApplication Build(MetaServerOptions options, string[]? args = null, Action<WebApplicationBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var normalized = options.Normalize();

        var builder = WebApplication.CreateBuilder(args ?? []);
        builder.UsePfsKestrel(normalized.Port, normalized.BindAddress);
        builder.AddServiceDefaults();
        builder.Services.AddPfsGrpc();
        builder.AddPfsClusterKey(normalized.ClusterKey, normalized.ClusterKeyFile);
        configure?.Invoke(builder);
        builder.AddMetadataStoreConnection(normalized);
        builder.Services.AddMetaServerCore(normalized);

        var app = builder.Build();
        app.MapGrpcService<MetaGrpcService>();
        app.MapPfsHealth();
        app.MapDefaultEndpoints();
        return app;
    }

    /// <summary>
    /// Registers the metadata services (registry, locks, sessions, leases, store and the registry loader)
    /// for already normalised <paramref name="options"/>; what is already registered is kept.
    /// </summary>
    internal static IServiceCollection AddMetaServerCore(this IServiceCollection services, MetaServerOptions options)
    {
        services.AddSingleton(options);
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<FileRegistry>();
        services.TryAddSingleton<LockTable>();
        services.TryAddSingleton<WriterEpochs>();
        services.TryAddSingleton<ServerInstance>();
        services.TryAddSingleton<OpenTable>();
        services.TryAddSingleton<SessionManager>();
        services.TryAddSingleton<LeaseManager>();
        services.TryAddSingleton<ObjectCommitter>();
        services.AddMetadataStore(options);
        services.AddHostedService<RegistryLoader>();
        return services;
    }
}
