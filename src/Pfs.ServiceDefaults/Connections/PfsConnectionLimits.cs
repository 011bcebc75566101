using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Pfs.ServiceDefaults.Settings;

namespace Pfs.ServiceDefaults.Connections;

/// <summary>
/// What one peer's connections may cost a server: how many are kept, how long one may take to
/// start speaking HTTP/2, and how long one with no call in flight is kept. Bound from the shared
/// <c>Pfs</c> section (<c>Pfs:MaxConnections</c>, <c>Pfs:HandshakeSeconds</c>, <c>Pfs:IdleSeconds</c>).
/// </summary>
/// <remarks>
/// An idle HTTP/2 connection costs Kestrel about 32 KB, so the default bound keeps a flood of
/// silent connections near 130 MB. Legitimate clients hold one or two connections to each server
/// (the channel's pool) and keep them busy or let them go after a minute of idleness (the
/// client pool's own idle timeout, below this server's, so the client closes first).
/// </remarks>
public sealed record PfsConnectionLimits
{
    public const int DefaultMaxConnections = 4096;
    public const double DefaultHandshakeSeconds = 10;
    public const double DefaultIdleSeconds = 120;
    private const double MaxSeconds = 24 * 3600;

    public static readonly ServerFlag MaxConnectionsFlag = new("--max-connections", "Pfs:MaxConnections",
        $"Most TCP connections kept at once; beyond it new ones are closed at accept (default {DefaultMaxConnections})", FlagKind.Integer);

    /// <summary>Most connections kept at once; a connection beyond it is closed as it is accepted.</summary>
    public int MaxConnections { get; init; } = DefaultMaxConnections;

    /// <summary>
    /// Seconds a new connection has to send the HTTP/2 preface and its first frame; one that does
    /// not is closed (<c>Pfs:HandshakeSeconds</c>).
    /// </summary>
    public double HandshakeSeconds { get; init; } = DefaultHandshakeSeconds;

    /// <summary>Seconds a connection with no call in flight is kept (<c>Pfs:IdleSeconds</c>; Kestrel's keep-alive timeout).</summary>
    public double IdleSeconds { get; init; } = DefaultIdleSeconds;

    public TimeSpan HandshakeTimeout => TimeSpan.FromSeconds(HandshakeSeconds);

    public TimeSpan IdleTimeout => TimeSpan.FromSeconds(IdleSeconds);

    /// <summary>The limits as configuration keys.</summary>
    public IEnumerable<KeyValuePair<string, string?>> ToConfiguration() =>
    [
        new(MaxConnectionsFlag.Key, MaxConnections.ToString(CultureInfo.InvariantCulture)),
        new($"{PfsServerSettings.Section}:{nameof(HandshakeSeconds)}", HandshakeSeconds.ToString(CultureInfo.InvariantCulture)),
        new($"{PfsServerSettings.Section}:{nameof(IdleSeconds)}", IdleSeconds.ToString(CultureInfo.InvariantCulture)),
    ];

    /// <summary>Binds the limits from the shared section and checks them when first used (at the latest at start).</summary>
    internal static void Register(IServiceCollection services)
    {
        services.AddPfsSectionOptions<PfsConnectionLimits, PfsConnectionLimitsValidator>();
    }

    /// <summary>The first thing wrong with <paramref name="limits"/>, as one line, or null.</summary>
    public static string? Check(PfsConnectionLimits limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        if (limits.MaxConnections < 1)
        {
            return $"{MaxConnectionsFlag} must be at least 1, not {limits.MaxConnections}";
        }

        if (!(limits.HandshakeSeconds is > 0 and <= MaxSeconds))
        {
            return $"Pfs:HandshakeSeconds must be above 0 and at most {MaxSeconds}, not {limits.HandshakeSeconds}";
        }

        return limits.IdleSeconds is > 0 and <= MaxSeconds
            ? null
            : $"Pfs:IdleSeconds must be above 0 and at most {MaxSeconds}, not {limits.IdleSeconds}";
    }
}

/// <summary>Refuses bad <see cref="PfsConnectionLimits"/> with one line naming the setting.</summary>
internal sealed class PfsConnectionLimitsValidator : IValidateOptions<PfsConnectionLimits>
{
    public ValidateOptionsResult Validate(string? name, PfsConnectionLimits options) =>
        PfsConnectionLimits.Check(options) is { } failure ? ValidateOptionsResult.Fail(failure) : ValidateOptionsResult.Success;
}
