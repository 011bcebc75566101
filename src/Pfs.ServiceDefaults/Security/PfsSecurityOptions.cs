using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Pfs.ServiceDefaults.Settings;

namespace Pfs.ServiceDefaults.Security;

/// <summary>Whether the metadata server asks clients for a key.</summary>
public enum PfsAuthentication
{
    /// <summary>Once any client identity exists (<c>pfs admin add</c>); before that, clients present nothing, as in the first version.</summary>
    Auto,

    /// <summary>Always, even before the first identity exists (then only the cluster key's holder, <c>pfs admin</c>, gets in).</summary>
    Required,
}

/// <summary>
/// The security settings both servers share, bound from the <c>Pfs</c> section: whether clients
/// must authenticate, whether a non-loopback address may be bound without it, the TLS files,
/// and how long a capability lives. See docs/SECURITY.md.
/// </summary>
public sealed record PfsSecurityOptions
{
    public const double DefaultCapabilitySeconds = 120;
    private const double MaxCapabilitySeconds = 24 * 3600;

    public static readonly ServerFlag AuthenticationFlag = new("--auth", "Pfs:Authentication",
        "auto (clients need a key once an identity exists; the default) or required (always)");

    public static readonly ServerFlag InsecureBindFlag = new("--insecure-bind", "Pfs:InsecureBind",
        "Listen on a non-loopback address without authentication required (warns; for a trusted network only)", FlagKind.Switch);

    public static readonly ServerFlag TlsCertificateFlag = new("--tls-cert", "Pfs:TlsCertificate",
        "PEM certificate (chain) this server presents; with --tls-key, the server speaks TLS only");

    public static readonly ServerFlag TlsKeyFlag = new("--tls-key", "Pfs:TlsKey", "PEM private key of --tls-cert");

    public static readonly ServerFlag TlsCaFlag = new("--tls-ca", "Pfs:TlsCa",
        "PEM CA certificate that the servers this one calls (and their clients) must chain to");

    /// <summary>The flags of these settings, for a server's command line.</summary>
    public static IReadOnlyList<ServerFlag> Flags { get; } = [AuthenticationFlag, InsecureBindFlag, TlsCertificateFlag, TlsKeyFlag, TlsCaFlag];

    /// <summary>See <see cref="PfsAuthentication"/> (<c>Pfs:Authentication</c>, <c>--auth</c>).</summary>
    public PfsAuthentication Authentication { get; init; }

    /// <summary>Bind a non-loopback address although authentication is not required (<c>Pfs:InsecureBind</c>, <c>--insecure-bind</c>).</summary>
    public bool InsecureBind { get; init; }

    /// <summary>PEM certificate file (<c>Pfs:TlsCertificate</c>, <c>--tls-cert</c>); null serves cleartext HTTP/2.</summary>
    public string? TlsCertificate { get; init; }

    /// <summary>PEM private key file of <see cref="TlsCertificate"/> (<c>Pfs:TlsKey</c>, <c>--tls-key</c>).</summary>
    public string? TlsKey { get; init; }

    /// <summary>PEM CA file the peers this server calls must chain to (<c>Pfs:TlsCa</c>, <c>--tls-ca</c>); null trusts the system store.</summary>
    public string? TlsCa { get; init; }

    /// <summary>
    /// Seconds a capability the metadata server signs stays valid (<c>Pfs:CapabilitySeconds</c>);
    /// clients renew theirs at half of it while the file stays open.
    /// </summary>
    public double CapabilitySeconds { get; init; } = DefaultCapabilitySeconds;

    public TimeSpan CapabilityLifetime => TimeSpan.FromSeconds(CapabilitySeconds);

    /// <summary>
    /// Longest wait before a failed authentication is answered (<c>Pfs:FailureDelaySeconds</c>, default 2):
    /// repeated failures from one peer wait longer and longer, up to this.
    /// </summary>
    public double FailureDelaySeconds { get; init; } = 2;

    public TimeSpan FailureDelay => TimeSpan.FromSeconds(FailureDelaySeconds);

    /// <summary>True if this server serves TLS.</summary>
    public bool Tls => !string.IsNullOrWhiteSpace(TlsCertificate);

    /// <summary>The first thing wrong with <paramref name="options"/>, as one line, or null.</summary>
    public static string? Check(PfsSecurityOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!Enum.IsDefined(options.Authentication))
        {
            return $"{AuthenticationFlag} must be auto or required";
        }

        if (string.IsNullOrWhiteSpace(options.TlsCertificate) != string.IsNullOrWhiteSpace(options.TlsKey))
        {
            return $"{TlsCertificateFlag} and {TlsKeyFlag} go together";
        }

        foreach (var (flag, file) in new[] { (TlsCertificateFlag, options.TlsCertificate), (TlsKeyFlag, options.TlsKey), (TlsCaFlag, options.TlsCa) })
        {
            if (!string.IsNullOrWhiteSpace(file) && !File.Exists(file))
            {
                return $"{flag}: '{file}' does not exist";
            }
        }

        if (!(options.FailureDelaySeconds is >= 0 and <= 60))
        {
            return $"Pfs:FailureDelaySeconds must be from 0 to 60, not {options.FailureDelaySeconds}";
        }

        return options.CapabilitySeconds is >= 1 and <= MaxCapabilitySeconds
            ? null
            : $"Pfs:CapabilitySeconds must be from 1 to {MaxCapabilitySeconds}, not {options.CapabilitySeconds}";
    }

    /// <summary>Binds the settings from the shared section and checks them when first used (at the latest at start).</summary>
    internal static void Register(IServiceCollection services)
    {
        services.AddPfsSectionOptions<PfsSecurityOptions, PfsSecurityOptionsValidator>();
        services.TryAddSingleton(provider => provider.GetRequiredService<IOptions<PfsSecurityOptions>>().Value);
    }
}

/// <summary>Refuses bad <see cref="PfsSecurityOptions"/> with one line naming the setting.</summary>
internal sealed class PfsSecurityOptionsValidator : IValidateOptions<PfsSecurityOptions>
{
    public ValidateOptionsResult Validate(string? name, PfsSecurityOptions options) =>
        PfsSecurityOptions.Check(options) is { } failure ? ValidateOptionsResult.Fail(failure) : ValidateOptionsResult.Success;
}
