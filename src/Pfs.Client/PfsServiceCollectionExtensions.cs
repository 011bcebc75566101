using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Pfs.Client;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers a Pfs client with dependency injection.</summary>
public static class PfsServiceCollectionExtensions
{
    private static int _providers;

    /// <summary>
    /// Registers <see cref="PfsClientSettings"/> (from the <c>Pfs</c> configuration section and
    /// Aspire service discovery, then <paramref name="configure"/>) and a singleton
    /// <see cref="PfsClientProvider"/>: inject it and call
    /// <see cref="PfsClientProvider.GetClientAsync"/> for the shared, lazily connected client.
    /// Settings are validated when the provider is first resolved (or at host start).
    /// </summary>
    public static IServiceCollection AddPfsClient(this IServiceCollection services, Action<PfsClientSettings>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<PfsClientSettings>()
            .Configure<IServiceProvider>((settings, provider) => Bind(settings, provider.GetService<IConfiguration>()));
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.PostConfigure<IServiceProvider>((settings, provider) => Discover(settings, provider.GetService<IConfiguration>()))
            .Validate(settings => settings.MetaServer is { IsAbsoluteUri: true, Scheme: "http" or "https" },
                $"no Pfs metadata server address: set {PfsClientSettings.SectionName}:MetaServer, reference the 'metaserver' resource from the Aspire AppHost, or set PfsClientSettings.MetaServer")
            .Validate(settings => settings.CacheBlocks >= 1, "Pfs CacheBlocks must be at least 1")
            .Validate(settings => settings.OperationTimeout > TimeSpan.Zero, "Pfs OperationTimeout must be positive")
            .ValidateOnStart();

        services.TryAddSingleton(provider =>
        {
            var settings = provider.GetRequiredService<IOptions<PfsClientSettings>>().Value;
            return new PfsClientProvider(new PfsClientOptions
            {
                ClientId = settings.ClientId ?? DefaultClientId(),
                MetaServer = settings.MetaServer!,
                CacheBlocks = settings.CacheBlocks,
                OperationTimeout = settings.OperationTimeout,
                LoggerFactory = provider.GetService<ILoggerFactory>(),
            });
        });
        return services;
    }

    private static void Bind(PfsClientSettings settings, IConfiguration? configuration)
    {
        var section = configuration?.GetSection(PfsClientSettings.SectionName);
        if (section is null)
        {
            return;
        }

        if (section["MetaServer"] is { Length: > 0 } address)
        {
            settings.MetaServer = ParseAddress(address, $"{PfsClientSettings.SectionName}:MetaServer");
        }

        if (section["ServiceName"] is { Length: > 0 } serviceName)
        {
            settings.ServiceName = serviceName;
        }

        if (section["ClientId"] is { Length: > 0 } clientId)
        {
            settings.ClientId = clientId;
        }

        if (section["CacheBlocks"] is { Length: > 0 } cacheBlocks)
        {
            settings.CacheBlocks = int.TryParse(cacheBlocks, NumberStyles.None, CultureInfo.InvariantCulture, out var blocks)
                ? blocks
                : throw new OptionsValidationException(nameof(PfsClientSettings), typeof(PfsClientSettings),
                    [$"{PfsClientSettings.SectionName}:CacheBlocks '{cacheBlocks}' is not a whole number"]);
        }
    }

    // Service discovery fills in only what neither configuration nor code chose.
    private static void Discover(PfsClientSettings settings, IConfiguration? configuration)
    {
        if (settings.MetaServer is not null || configuration is null)
        {
            return;
        }

        foreach (var scheme in new[] { "http", "https" })
        {
            var key = $"services:{settings.ServiceName}:{scheme}:0";
            if (configuration[key] is { Length: > 0 } address)
            {
                settings.MetaServer = ParseAddress(address, key);
                return;
            }
        }
    }

    private static Uri ParseAddress(string address, string key) =>
        Uri.TryCreate(address, UriKind.Absolute, out var uri)
            ? uri
            : throw new OptionsValidationException(nameof(PfsClientSettings), typeof(PfsClientSettings),
                [$"{key} '{address}' is not an absolute address such as http://localhost:50051"]);

    private static string DefaultClientId()
    {
        // Two providers in one process must not share an id: a second Subscribe ends the first.
        var n = Interlocked.Increment(ref _providers);
        var id = $"{Environment.MachineName}-{Environment.ProcessId}";
        return n == 1 ? id : $"{id}-{n}";
    }
}
