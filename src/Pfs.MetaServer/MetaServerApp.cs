using Microsoft.Extensions.DependencyInjection.Extensions;
using Pfs.MetaServer.Errors;
using Pfs.MetaServer.Locking;
using Pfs.MetaServer.Persistence;
using Pfs.MetaServer.Registry;
using Pfs.MetaServer.Security;
using Pfs.MetaServer.Services;
using Pfs.MetaServer.Sessions;
using Pfs.ServiceDefaults;

namespace Pfs.MetaServer;

/// <summary>Builds a metadata server: used by Program, by Aspire and by test fixtures.</summary>
public static class MetaServerApp
{
    /// <summary>
    /// A ready-to-start server with explicit <paramref name="options"/> (they win over configuration).
    /// The namespace is loaded from the store during <c>StartAsync</c>, before the server listens.
    /// <paramref name="configure"/> runs after the gRPC and health services are added but before the
    /// metadata services, which are only added where nothing is registered yet: register an
    /// <see cref="IMetadataStore"/> (or a <see cref="TimeProvider"/>) there to replace the default.
    /// </summary>
    /// <exception cref="Microsoft.Extensions.Options.OptionsValidationException">A setting is missing or malformed.</exception>
    /// <exception cref="ArgumentException">The cluster key is missing or malformed.</exception>
    public static WebApplication Build(MetaServerOptions options, string[]? args = null, Action<WebApplicationBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Build(args ?? [], options.ToConfiguration(), configure);
    }

    /// <summary>A server whose settings come from configuration, with <paramref name="settings"/> (the flags) on top.</summary>
    internal static WebApplication Build(
        string[] args,
        IEnumerable<KeyValuePair<string, string?>> settings,
        Action<WebApplicationBuilder>? configure = null,
        IConfiguration? configuration = null) =>
        WebApplication.CreateBuilder(PfsServerHosting.HostArguments(args)).BuildPfsServer<MetaServerOptions, MetaServerOptionsValidator>(
            settings,
            configuration,
            builder =>
            {
                builder.Services.AddGrpc(grpc => grpc.Interceptors.Add<MetaErrorInterceptor>());
                builder.Services.AddMetaServerSecurity();
                configure?.Invoke(builder);
                builder.AddMetadataStoreConnection();
                builder.Services.AddMetaServerCore();
            },
            app =>
            {
                app.MapGrpcService<MetaGrpcService>();
                app.MapMetaServerSecurity();
            },
            MetaServerSettings.Section,
            (MetaServerSettings.Redis.Key, nameof(MetaServerOptions.Redis)));

    /// <summary>
    /// Registers the metadata services (namespace, locks, sessions, leases, store, reclaimer and the namespace loader);
    /// what is already registered is kept. They take <see cref="MetaServerOptions"/> from the container.
    /// </summary>
    internal static IServiceCollection AddMetaServerCore(this IServiceCollection services)
    {
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<Namespace>();
        services.TryAddSingleton<CrashPoints>();
        services.TryAddSingleton<NamespaceNotices>();
        services.TryAddSingleton<FileServerClients>();
        services.TryAddSingleton<ObjectReclaimer>();
        services.TryAddSingleton<LockTable>();
        services.TryAddSingleton<RangeLockTable>();
        services.TryAddSingleton<WriterEpochs>();
        services.TryAddSingleton<ServerInstance>();
        services.TryAddSingleton<OpenTable>();
        services.TryAddSingleton<SessionManager>();
        services.TryAddSingleton<ClientTokens>();
        services.TryAddSingleton<LeaseManager>();
        services.TryAddSingleton<ObjectCommitter>();
        services.AddMetadataStore();
        services.AddHostedService<NamespaceLoader>();
        services.AddHostedService(provider => provider.GetRequiredService<ObjectReclaimer>());
        services.TryAddSingleton<ServerIdentities>();
        services.AddHostedService(provider => provider.GetRequiredService<ServerIdentities>());
        return services;
    }
}
