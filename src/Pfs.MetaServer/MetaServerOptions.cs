using System.Globalization;
using Pfs.Protocol.Transport;
using Pfs.ServiceDefaults.Settings;

namespace Pfs.MetaServer;

/// <summary>
/// Everything a metadata server needs to start, bound from configuration (see <see cref="MetaServerSettings"/>
/// for the keys and flags, and <see cref="MetaServerOptionsValidator"/> for the checks).
/// </summary>
public sealed record MetaServerOptions : IPfsServerOptions
{
    private readonly IReadOnlyList<string> _fileServers = [];

    /// <inheritdoc/>
    public int? Port { get; init; }

    /// <inheritdoc/>
    public string? BindAddress { get; init; }

    /// <summary>
    /// The ordered file servers (<c>MetaServer:FileServers</c>, <c>--file-servers</c>); a file of stripe
    /// width w uses the first w. At least one. Addresses are kept absolute (<c>localhost:50052</c>
    /// becomes <c>http://localhost:50052</c>); ones that are not addresses are kept as given, for the validator.
    /// </summary>
    public required IReadOnlyList<string> FileServers
    {
        get => _fileServers;
        init => _fileServers = [.. (value ?? []).Select(address => PfsAddress.Normalize(address) ?? address)];
    }

    /// <summary>StackExchange.Redis connection string (<c>ConnectionStrings:redis</c>, <c>--redis</c>); null keeps metadata in memory only.</summary>
    public string? Redis { get; init; }

    /// <summary>How long a client without a live Subscribe stream keeps its handles (<c>MetaServer:LeaseSeconds</c>, <c>--lease-seconds</c>).</summary>
    public TimeSpan LeaseTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Notices queued per subscriber before its stream is ended as too slow (<c>MetaServer:NoticeQueueCapacity</c>).</summary>
    public int NoticeQueueCapacity { get; init; } = 4096;

    /// <summary>How long a writer's close waits for a file server to apply its staged bytes before leaving them pending (<c>MetaServer:CommitTimeout</c>).</summary>
    public TimeSpan CommitTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// TEST ONLY: a named point at which the server kills itself (<c>MetaServer:TestCrashPoint</c>; see
    /// <see cref="CrashPoints"/>). Never set outside crash tests.
    /// </summary>
    public string? TestCrashPoint { get; init; }

    /// <inheritdoc/>
    public string? ClusterKey { get; init; }

    /// <inheritdoc/>
    public string? ClusterKeyFile { get; init; }

    // The configuration forms of two settings, bound from the same keys (the binder sets non-public properties):
    // a comma-separated list as Aspire and --file-servers give it, and a number of seconds.
    [ConfigurationKeyName("FileServers")]
    private string? FileServerList
    {
        get => null;
        init
        {
            if (value is not null)
            {
                FileServers = string.IsNullOrWhiteSpace(value) ? [] : value.Split(',', StringSplitOptions.TrimEntries);
            }
        }
    }

    [ConfigurationKeyName("LeaseSeconds")]
    private double? LeaseSeconds
    {
        get => null;
        init
        {
            if (value is { } seconds)
            {
                // Out of TimeSpan's range: a value the validator refuses, since this is no place to throw.
                LeaseTimeout = double.IsFinite(seconds) && Math.Abs(seconds) <= MetaServerSettings.MaxLeaseSeconds
                    ? TimeSpan.FromSeconds(seconds)
                    : TimeSpan.MaxValue;
            }
        }
    }

    /// <summary>These options as configuration keys, so explicit options take the path flags and Aspire take.</summary>
    internal IEnumerable<KeyValuePair<string, string?>> ToConfiguration()
    {
        foreach (var setting in PfsServerSettings.ToConfiguration(this))
        {
            yield return setting;
        }

        // The one form the key takes (an address has no comma).
        if (FileServers.Count > 0)
        {
            yield return new(MetaServerSettings.FileServers.Key, string.Join(',', FileServers));
        }

        if (Redis is not null)
        {
            yield return new(MetaServerSettings.Redis.Key, Redis);
        }

        yield return new($"{MetaServerSettings.Section}:{nameof(LeaseTimeout)}", LeaseTimeout.ToString("c", CultureInfo.InvariantCulture));
        yield return new($"{MetaServerSettings.Section}:{nameof(NoticeQueueCapacity)}", NoticeQueueCapacity.ToString(CultureInfo.InvariantCulture));
        yield return new($"{MetaServerSettings.Section}:{nameof(CommitTimeout)}", CommitTimeout.ToString("c", CultureInfo.InvariantCulture));
        if (TestCrashPoint is not null)
        {
            yield return new($"{MetaServerSettings.Section}:{nameof(TestCrashPoint)}", TestCrashPoint);
        }
    }
}
