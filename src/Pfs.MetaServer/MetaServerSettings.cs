using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Pfs.MetaServer;

/// <summary>
/// Turns flags (and, for what the flags leave out, configuration as Aspire sets it:
/// <c>MetaServer:FileServers</c>, <c>ConnectionStrings:redis</c>, <c>MetaServer:LeaseSeconds</c>)
/// into checked options. Flags win over configuration.
/// </summary>
internal static class MetaServerCommandLine
{
    public const string FileServersKey = "MetaServer:FileServers";
    public const string RedisKey = "ConnectionStrings:redis";
    public const string LeaseSecondsKey = "MetaServer:LeaseSeconds";

    private const double MaxLeaseSeconds = 86_400;

    /// <summary>The outcome: options to run with, an error for stderr, or a help/version request.</summary>
    public sealed record Result(MetaServerOptions? Options, string? Error, ParseResult ParseResult)
    {
        /// <summary>--help or --version: invoke <see cref="ParseResult"/> instead of starting.</summary>
        public bool IsInformational => Error is null && Options is null;
    }

    public static Result Parse(IReadOnlyList<string> args, IConfiguration configuration)
    {
        // Fresh symbols per parse: System.CommandLine symbols keep their parents, so they are not shared.
        var port = new Option<int?>("--port")
        {
            Description = "Port to listen on (0: any free port); without it, endpoints come from configuration (ASPNETCORE_URLS)",
            CustomParser = static result => ParsePort(result),
        };
        var fileServers = new Option<string?>("--file-servers")
        {
            Description = "Ordered, comma-separated file-server addresses, e.g. localhost:50052,localhost:50053",
        };
        var redis = new Option<string?>("--redis")
        {
            Description = "StackExchange.Redis connection string; without it metadata is kept in memory only",
        };
        var bind = new Option<string?>("--bind")
        {
            Description = "IP address to bind (default: all interfaces)",
        };
        var leaseSeconds = new Option<double?>("--lease-seconds")
        {
            Description = "Seconds a client without a Subscribe stream keeps its handles (default 10)",
            CustomParser = static result => ParseLeaseSeconds(result),
        };
        var keyFile = new Option<string?>("--cluster-key-file")
        {
            Description = "File with the base64 cluster key shared with the file servers (default: Pfs:ClusterKey, else ~/.pfs/cluster.key)",
        };
        var root = new RootCommand("Pfs metadata server: file registry, stripe recipes, locks and invalidations.")
        {
            port,
            fileServers,
            redis,
            bind,
            leaseSeconds,
            keyFile,
        };

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            return new Result(null, parsed.Errors[0].Message, parsed);
        }

        if (parsed.Action is not null)
        {
            return new Result(null, null, parsed);
        }

        try
        {
            var servers = parsed.GetValue(fileServers) ?? configuration[FileServersKey];
            if (string.IsNullOrWhiteSpace(servers))
            {
                throw new ArgumentException($"--file-servers is required (or {FileServersKey} in configuration)");
            }

            var options = new MetaServerOptions
            {
                Port = parsed.GetValue(port),
                BindAddress = parsed.GetValue(bind),
                FileServers = servers.Split(',', StringSplitOptions.TrimEntries),
                Redis = parsed.GetValue(redis) ?? NullIfBlank(configuration[RedisKey]),
                ClusterKeyFile = parsed.GetValue(keyFile),
            };
            if ((parsed.GetValue(leaseSeconds) ?? LeaseSecondsFromConfiguration(configuration)) is { } seconds)
            {
                options = options with { LeaseTimeout = TimeSpan.FromSeconds(seconds) };
            }

            return new Result(options.Normalize(), null, parsed);
        }
        catch (ArgumentException ex)
        {
            return new Result(null, ex.Message, parsed);
        }
    }

    private static int? ParsePort(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port <= 65535)
        {
            return port;
        }

        result.AddError($"--port '{text}' must be a whole number from 0 to 65535");
        return null;
    }

    private static double? ParseLeaseSeconds(ArgumentResult result)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
        if (TryParseSeconds(text, out var seconds))
        {
            return seconds;
        }

        result.AddError($"--lease-seconds '{text}' must be a number of seconds above 0 and at most {MaxLeaseSeconds}");
        return null;
    }

    private static double? LeaseSecondsFromConfiguration(IConfiguration configuration)
    {
        var text = configuration[LeaseSecondsKey];
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        return TryParseSeconds(text, out var seconds)
            ? seconds
            : throw new ArgumentException($"{LeaseSecondsKey} '{text}' must be a number of seconds above 0 and at most {MaxLeaseSeconds}");
    }

    private static bool TryParseSeconds(string text, out double seconds) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out seconds)
        && seconds > 0
        && seconds <= MaxLeaseSeconds;

    private static string? NullIfBlank(string? text) => string.IsNullOrWhiteSpace(text) ? null : text;
}
