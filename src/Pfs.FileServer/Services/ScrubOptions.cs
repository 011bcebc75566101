using Microsoft.Extensions.Options;
using Pfs.ServiceDefaults.Settings;

namespace Pfs.FileServer.Services;

/// <summary>
/// How fast the background scrub re-reads committed objects (<c>Pfs:ScrubMbps</c>, <c>--scrub-mbps</c>;
/// 0 turns it off) and how long it rests between passes (<c>Pfs:ScrubPauseSeconds</c>).
/// </summary>
public sealed record ScrubOptions
{
    public const int DefaultMbps = 20;
    public const double DefaultPauseSeconds = 60;

    public static readonly ServerFlag ScrubMbpsFlag = new("--scrub-mbps", "Pfs:ScrubMbps",
        $"MB/s the background scrub reads at most, only while no client is reading or writing; 0 turns it off (default {DefaultMbps})", FlagKind.Integer);

    /// <summary>Most MB (10^6 bytes) per second the scrub reads; 0: no scrub.</summary>
    public int ScrubMbps { get; init; } = DefaultMbps;

    /// <summary>Seconds between the end of one pass and the start of the next.</summary>
    public double ScrubPauseSeconds { get; init; } = DefaultPauseSeconds;

    /// <summary>How long no client call may have run before the scrub reads.</summary>
    public double ScrubQuietSeconds { get; init; } = 0.1;
}

internal sealed class ScrubOptionsValidator : IValidateOptions<ScrubOptions>
{
    public ValidateOptionsResult Validate(string? name, ScrubOptions options) =>
        options.ScrubMbps < 0 ? ValidateOptionsResult.Fail($"{ScrubOptions.ScrubMbpsFlag} must not be negative, not {options.ScrubMbps}")
        : options.ScrubPauseSeconds is < 0 or > 86400 * 7 ? ValidateOptionsResult.Fail($"Pfs:ScrubPauseSeconds must be from 0 to a week, not {options.ScrubPauseSeconds}")
        : options.ScrubQuietSeconds is < 0 or > 3600 ? ValidateOptionsResult.Fail($"Pfs:ScrubQuietSeconds must be from 0 to 3600, not {options.ScrubQuietSeconds}")
        : ValidateOptionsResult.Success;
}
