using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Pfs.Client;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers a Pfs client with dependency injection.</summary>
public static class PfsServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="PfsClientOptions"/> and a singleton <see cref="PfsClientProvider"/>:
    /// inject it and call <see cref="PfsClientProvider.GetClientAsync"/> for the shared, lazily
    /// connected client. The options are bound from the <c>Pfs</c> section of the container's
    /// <c>IConfiguration</c>, then passed through <paramref name="configure"/> (code wins over
    /// configuration, e.g. <c>options =&gt; options with { CacheBlocks = 512 }</c>); the metadata
    /// server comes from Aspire service discovery if neither names one. They are validated once,
    /// at host start (or when first resolved without a host).
    /// </summary>
    [RequiresUnreferencedCode("PfsClientOptions are bound from configuration by reflection.")]
    [RequiresDynamicCode("PfsClientOptions are bound from configuration by reflection.")]
    public static IServiceCollection AddPfsClient(this IServiceCollection services, Func<PfsClientOptions, PfsClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddOptions<PfsClientOptions>()
            .BindConfiguration(PfsClientOptions.SectionName)
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PfsClientOptions>>(PfsClientOptionsValidator.Instance));
        services.AddSingleton<IOptionsFactory<PfsClientOptions>>(provider => new PfsClientOptionsFactory(provider, configure));
        // The monitor's instance is the one ValidateOnStart checked (and its default client id).
        services.TryAddSingleton(provider => new PfsClientProvider(provider.GetRequiredService<IOptionsMonitor<PfsClientOptions>>().CurrentValue));
        return services;
    }
}
