using Microsoft.Extensions.Options;
using Pfs.MetaServer.Persistence;
using Pfs.Protocol.Transport;
using Pfs.ServiceDefaults.Connections;
using Pfs.ServiceDefaults.Security;
using Pfs.ServiceDefaults.Settings;

namespace Pfs.MetaServer;

/// <summary>
/// The metadata server's settings: each flag with the configuration key it sets (Aspire sets the
/// keys: <c>MetaServer:FileServers</c>, <c>ConnectionStrings:redis</c>), and their checks below.
/// </summary>
public static class MetaServerSettings
{
    /// <summary>The configuration section of the metadata server's own settings.</summary>
    public const string Section = "MetaServer";

    public const double MaxLeaseSeconds = 86_400;

    public static readonly ServerFlag FileServers = new("--file-servers", "MetaServer:FileServers",
        "Ordered, comma-separated file-server addresses, e.g. localhost:50052,localhost:50053");

    public static readonly ServerFlag Redis = new("--redis", $"ConnectionStrings:{MetadataStoreRegistration.RedisConnectionName}",
        "StackExchange.Redis connection string; without it metadata is kept in memory only");

    public static readonly ServerFlag LeaseSeconds = new("--lease-seconds", "MetaServer:LeaseSeconds",
        "Seconds a client without a Subscribe stream keeps its handles (default 10)", FlagKind.Number);

    public static ServerCommandLine CommandLine { get; } = new(
        "Pfs.MetaServer",
        "Pfs metadata server: file registry, stripe recipes, locks and invalidations.",
        [PfsServerSettings.Port, FileServers, Redis, PfsServerSettings.BindAddress, LeaseSeconds, PfsServerSettings.ClusterKeyFile, PfsConnectionLimits.MaxConnectionsFlag, .. PfsSecurityOptions.Flags]);
}

/// <summary>Checks <see cref="MetaServerOptions"/> once, whichever source each setting came from.</summary>
internal sealed class MetaServerOptionsValidator : IValidateOptions<MetaServerOptions>
{
    private static readonly TimeSpan MaxCommitTimeout = TimeSpan.FromMinutes(10);

    public ValidateOptionsResult Validate(string? name, MetaServerOptions options)
    {
        var failures = new List<string>();
        PfsServerSettings.Check(options, failures);
        if (options.FileServers.Count == 0)
        {
            failures.Add($"at least one file server is required: {MetaServerSettings.FileServers}");
        }

        // The options keep every address that is one in its normal form; anything else is not an address.
        foreach (var address in options.FileServers.Where(address => PfsAddress.Normalize(address) != address))
        {
            failures.Add($"file-server address '{address}' is not of the form [http://]host:port");
        }

        if (options.Redis is { } redis && string.IsNullOrWhiteSpace(redis))
        {
            failures.Add($"the Redis connection string ({MetaServerSettings.Redis}) is empty");
        }

        if (options.LeaseTimeout <= TimeSpan.Zero || options.LeaseTimeout > TimeSpan.FromSeconds(MetaServerSettings.MaxLeaseSeconds))
        {
            failures.Add($"{MetaServerSettings.LeaseSeconds} must be above 0 and at most {MetaServerSettings.MaxLeaseSeconds} seconds");
        }

        if (options.CommitTimeout <= TimeSpan.Zero || options.CommitTimeout > MaxCommitTimeout)
        {
            failures.Add($"the commit timeout {options.CommitTimeout} must be positive and at most ten minutes");
        }

        if (options.NoticeQueueCapacity < 1)
        {
            failures.Add($"the notice queue capacity {options.NoticeQueueCapacity} must be at least 1");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
