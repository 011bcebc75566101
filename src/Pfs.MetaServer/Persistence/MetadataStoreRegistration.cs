using Microsoft.Extensions.DependencyInjection;

namespace Pfs.MetaServer.Persistence;

/// <summary>Chooses the <see cref="IMetadataStore"/>: the one the host registered, else by the options.</summary>
internal static class MetadataStoreRegistration
{
    public static IServiceCollection AddMetadataStore(this IServiceCollection services, MetaServerOptions options)
    {
        if (services.Any(descriptor => descriptor.ServiceType == typeof(IMetadataStore)))
        {
            // Supplied by the host (a test fixture, or Aspire): it wins over the options.
            return services;
        }

        if (options.Redis is null)
        {
            return services.AddSingleton<IMetadataStore, InMemoryMetadataStore>();
        }

        // The seam for the Redis store: register it here from options.Redis.
        throw new NotSupportedException(
            "Redis store not built yet: start without --redis (or ConnectionStrings:redis) to keep metadata in memory");
    }
}
