using Microsoft.Extensions.DependencyInjection.Extensions;
using StackExchange.Redis;

namespace Pfs.MetaServer.Security;

/// <summary>Authentication and authorization of the metadata server (docs/SECURITY.md).</summary>
internal static class SecurityRegistration
{
    /// <summary>The identity store beside the metadata, the gate, the guard, and the interceptor on every call.</summary>
    public static IServiceCollection AddMetaServerSecurity(this IServiceCollection services)
    {
        services.TryAddSingleton<IIdentityStore>(provider =>
            provider.GetRequiredService<MetaServerOptions>().Redis is null
                ? new InMemoryIdentityStore()
                : new RedisIdentityStore(provider.GetRequiredService<IConnectionMultiplexer>()));
        services.TryAddSingleton<IdentityTable>();
        services.TryAddSingleton<SessionTokens>();
        services.TryAddSingleton<AuthFailures>();
        services.TryAddSingleton<AuthGate>();
        services.TryAddSingleton<ScopeGuard>();
        services.TryAddSingleton<CallAuthorizer>();
        services.TryAddSingleton<AuthInterceptor>();
        // One instance, so the replay guard's nonces are shared by every call (gRPC makes a service per call unless it is registered).
        services.TryAddSingleton<AuthGrpcService>();
        services.AddGrpc(grpc => grpc.Interceptors.Add<AuthInterceptor>());
        return services;
    }

    public static WebApplication MapMetaServerSecurity(this WebApplication app)
    {
        app.MapGrpcService<AuthGrpcService>();
        app.MapGrpcService<CapabilityGrpcService>();
        return app;
    }
}
