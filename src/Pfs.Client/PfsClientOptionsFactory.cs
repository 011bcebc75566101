using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Pfs.Client;

/// <summary>
/// Builds the <see cref="PfsClientOptions"/> that <c>AddPfsClient</c> registers. The options are an
/// immutable record, so only the configuration binder (the configure steps <c>BindConfiguration</c>
/// registers) fills an instance in place; every step after it returns a new record: the caller's
/// configure delegate, Aspire service discovery of the metadata server when neither named one, the
/// default client id and the host's logger factory. Then the validators run, once.
/// </summary>
internal sealed class PfsClientOptionsFactory(IServiceProvider services, Func<PfsClientOptions, PfsClientOptions>? configure)
    : IOptionsFactory<PfsClientOptions>
{
    private static int _defaultIds;

    public PfsClientOptions Create(string name)
    {
        var bound = new OptionsFactory<PfsClientOptions>(
            services.GetServices<IConfigureOptions<PfsClientOptions>>(),
            services.GetServices<IPostConfigureOptions<PfsClientOptions>>()).Create(name);
        var configured = Discover(configure is null ? bound : configure(bound), services.GetService<IConfiguration>());
        var options = configured with
        {
            ClientId = string.IsNullOrEmpty(configured.ClientId) ? DefaultClientId() : configured.ClientId,
            LoggerFactory = configured.LoggerFactory ?? services.GetService<ILoggerFactory>(),
        };

        var failures = new List<string>();
        foreach (var validator in services.GetServices<IValidateOptions<PfsClientOptions>>())
        {
            if (validator.Validate(name, options) is { Failed: true } result)
            {
                failures.AddRange(result.Failures);
            }
        }

        if (failures.Count > 0)
        {
            throw new OptionsValidationException(name, typeof(PfsClientOptions), failures);
        }

        return options;
    }

    // Service discovery fills in only what neither configuration nor code chose.
    private static PfsClientOptions Discover(PfsClientOptions options, IConfiguration? configuration)
    {
        if (options.MetaServer is not (null or { OriginalString: "" }) || configuration is null)
        {
            return options;
        }

        foreach (var scheme in new[] { "http", "https" })
        {
            var key = $"services:{options.ServiceName}:{scheme}:0";
            if (configuration[key] is { Length: > 0 } address)
            {
                return Uri.TryCreate(address, UriKind.Absolute, out var uri)
                    ? options with { MetaServer = uri }
                    : throw new OptionsValidationException(Options.DefaultName, typeof(PfsClientOptions),
                        [$"{key} '{address}' is not an absolute address such as http://localhost:50051"]);
            }
        }

        return options;
    }

    private static string DefaultClientId()
    {
        // Two containers in one process must not share an id: a second Subscribe ends the first.
        var n = Interlocked.Increment(ref _defaultIds);
        var id = $"{Environment.MachineName}-{Environment.ProcessId}";
        return n == 1 ? id : $"{id}-{n}";
    }
}
