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
        "IP address to listen on with --port (default: all interfaces)");

    public static readonly ServerFlag ClusterKeyFile = new("--cluster-key-file", ClusterKeys.FileConfigurationKey,
        "File with the base64 cluster key the servers share (default: Pfs:ClusterKey, else ~/.pfs/cluster.key)");

    /// <summary>The flags every server takes.</summary>
    public static IReadOnlyList<ServerFlag> Flags { get; } = [Port, BindAddress, ClusterKeyFile];

    /// <summary>The one check of a port number.</summary>
    public static string? CheckPort(int? port) =>
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
    /// Binds <typeparamref name="TOptions"/> from the <c>Pfs</c> section and then from
    /// <paramref name="sections"/>, checks it with <typeparamref name="TValidator"/> once (when first
    /// used, and at the latest at start), and registers the bound value itself for constructors that take it.
    /// </summary>
    /// <remarks>
    /// Non-public properties are bound too: an options record keeps a setting's configuration form
    /// (a comma-separated list, seconds) in a private property beside its typed one.
    /// </remarks>
    public static OptionsBuilder<TOptions> AddPfsServerOptions<TOptions, TValidator>(this IServiceCollection services, params string[] sections)
        where TOptions : class, IPfsServerOptions
        where TValidator : class, IValidateOptions<TOptions>
    {
        ArgumentNullException.ThrowIfNull(sections);
        var builder = services.AddOptions<TOptions>();
        foreach (var section in sections.Prepend(Section))
        {
            builder.BindConfiguration(section, binder => binder.BindNonPublicProperties = true);
        }

        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TOptions>, TValidator>());
        services.TryAddSingleton(provider => provider.GetRequiredService<IOptions<TOptions>>().Value);
        return builder.ValidateOnStart();
    }

    /// <summary>Explicit settings as the last (winning) configuration source.</summary>
    public static IConfigurationBuilder AddSettings(this IConfigurationBuilder configuration, IEnumerable<KeyValuePair<string, string?>> settings) =>
        configuration.AddInMemoryCollection(settings);
}
