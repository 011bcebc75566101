using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Pfs.ServiceDefaults.Settings;

/// <summary>
/// The settings both servers share, each declared once with its flag and its check, and the one
/// way a server's options are bound: from configuration, where flags, environment, appsettings,
/// Aspire and an embedder's explicit options all arrive as keys.
/// </summary>
public static class PfsServerSettings
{
    /// <summary>The configuration section of the shared settings.</summary>
    public const string Section = "Pfs";

    public const int MaxPort = 65535;

    public static readonly ServerFlag Port = new("--port", "Pfs:Port",
        "TCP port to listen on (0 picks a free one); without it the endpoints come from configuration (ASPNETCORE_URLS)", FlagKind.Integer);

    public static readonly ServerFlag BindAddress = new("--bind", "Pfs:BindAddress",
        "IP address to listen on with --port (default: 127.0.0.1; another needs --auth required or --insecure-bind)");

    public static readonly ServerFlag ClusterKeyFile = new("--cluster-key-file", ClusterKeys.FileConfigurationKey,
        "File with the base64 cluster key the servers share (default: Pfs:ClusterKey, else ~/.pfs/cluster.key)");

    /// <summary>The one check of a port number.</summary>
    private static string? CheckPort(int? port) =>
        port is < 0 or > MaxPort ? $"{Port} {port} must be from 0 to {MaxPort}" : null;

    /// <summary>Adds a line to <paramref name="failures"/> for each shared setting that is wrong.</summary>
    public static void Check(IPfsServerOptions options, ICollection<string> failures)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(failures);
        if (CheckPort(options.Port) is { } portError)
        {
            failures.Add(portError);
        }

        if (!string.IsNullOrEmpty(options.BindAddress) && !IPAddress.TryParse(options.BindAddress, out _))
        {
            failures.Add($"{BindAddress} must be an IP address, not '{options.BindAddress}'");
        }
    }

    /// <summary>The shared settings of explicit options as configuration keys (unset ones left out).</summary>
    public static IEnumerable<KeyValuePair<string, string?>> ToConfiguration(IPfsServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Port is { } port)
        {
            yield return new(Port.Key, port.ToString(CultureInfo.InvariantCulture));
        }

        if (options.BindAddress is { } bind)
        {
            yield return new(BindAddress.Key, bind);
        }

        if (options.ClusterKey is { } key)
        {
            yield return new(ClusterKeys.ConfigurationKey, key);
        }

        if (options.ClusterKeyFile is { } file)
        {
            yield return new(ClusterKeyFile.Key, file);
        }
    }

    /// <summary>
    /// Binds <typeparamref name="TOptions"/> from the shared settings, then from its own
    /// <paramref name="section"/>, then from the keys in <paramref name="elsewhere"/> (each a key and
    /// the property it sets, such as <c>ConnectionStrings:redis</c> for <c>Redis</c>); checks it with
    /// <typeparamref name="TValidator"/> once (when first used, and at the latest at start); and
    /// registers the bound value itself for constructors that take it.
    /// </summary>
    /// <remarks>
    /// Only the shared keys are read from the <c>Pfs</c> section, which also holds the AppHost's own
    /// settings (<c>Pfs:FileServers</c>, <c>Pfs:Redis</c>) that a server started from the same shell
    /// must not take for its own. Non-public properties are bound too: an options record keeps a
    /// setting's configuration form (a comma-separated list, seconds) in a private property beside its typed one.
    /// </remarks>
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = OptionsKept)]
    [UnconditionalSuppressMessage("AOT", "IL3050", Justification = OptionsKept)]
    public static OptionsBuilder<TOptions> AddPfsServerOptions<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.All)] TOptions,
                                                               [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TValidator>(
        this IServiceCollection services, string section, params (string Key, string Property)[] elsewhere)
        where TOptions : class, IPfsServerOptions
        where TValidator : class, IValidateOptions<TOptions>
    {
        ArgumentNullException.ThrowIfNull(elsewhere);
        (string Key, string Property)[] shared =
        [
            (Port.Key, nameof(IPfsServerOptions.Port)),
            (BindAddress.Key, nameof(IPfsServerOptions.BindAddress)),
            (ClusterKeys.ConfigurationKey, nameof(IPfsServerOptions.ClusterKey)),
            (ClusterKeyFile.Key, nameof(IPfsServerOptions.ClusterKeyFile)),
        ];
        var builder = services.AddOptions<TOptions>()
            .Configure<IConfiguration>((options, configuration) => Select(configuration, shared).Bind(options, NonPublic))
            .BindConfiguration(section, NonPublic)
            .Configure<IConfiguration>((options, configuration) => Select(configuration, elsewhere).Bind(options, NonPublic));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TOptions>, TValidator>());
        services.TryAddSingleton(provider => provider.GetRequiredService<IOptions<TOptions>>().Value);
        return builder.ValidateOnStart();
    }

    /// <summary>
    /// Options of their own bound from the shared section (<c>Pfs:</c>), checked by <typeparamref name="TValidator"/>
    /// when first used and at the latest at start: the one way a server adds such a group of settings.
    /// </summary>
    [UnconditionalSuppressMessage("Trimming", "IL2026", Justification = OptionsKept)]
    [UnconditionalSuppressMessage("AOT", "IL3050", Justification = OptionsKept)]
    public static OptionsBuilder<TOptions> AddPfsSectionOptions<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.All)] TOptions,
                                                                [DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TValidator>(
        this IServiceCollection services)
        where TOptions : class
        where TValidator : class, IValidateOptions<TOptions>
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TOptions>, TValidator>());
        return services.AddOptions<TOptions>().BindConfiguration(Section).ValidateOnStart();
    }

    // Why binding by reflection is safe in a trimmed (Native AOT) server: the annotation keeps every
    // member of the options type, and options hold scalars and strings only, so the binder creates
    // no collection type at run time.
    private const string OptionsKept = "TOptions keeps all its members (DynamicallyAccessedMembers.All) and has scalar and string properties only.";

    /// <summary>Explicit settings as the last (winning) configuration source.</summary>
    public static IConfigurationBuilder AddSettings(this IConfigurationBuilder configuration, IEnumerable<KeyValuePair<string, string?>> settings) =>
        configuration.AddInMemoryCollection(settings);

    private static void NonPublic(BinderOptions binder) => binder.BindNonPublicProperties = true;

    /// <summary>The given keys' values, each under the name of the property it sets.</summary>
    private static IConfiguration Select(IConfiguration configuration, IEnumerable<(string Key, string Property)> keys) =>
        new ConfigurationBuilder()
            .AddInMemoryCollection(keys
                .Select(key => new KeyValuePair<string, string?>(key.Property, configuration[key.Key]))
                .Where(setting => setting.Value is not null))
            .Build();
}
