using System.Net;

namespace Pfs.MetaServer;

/// <summary>Everything a metadata server needs to start; see <see cref="MetaServerApp.Build"/>.</summary>
public sealed record MetaServerOptions
{
    /// <summary>Port to listen on: null takes the endpoints from configuration (as under Aspire), 0 any free port.</summary>
    public int? Port { get; init; }

    /// <summary>Address to bind; null binds every interface.</summary>
    public string? BindAddress { get; init; }

    /// <summary>The ordered file servers; a file of stripe width w uses the first w. At least one.</summary>
    public required IReadOnlyList<string> FileServers { get; init; }

    /// <summary>StackExchange.Redis connection string; null keeps metadata in memory only.</summary>
    public string? Redis { get; init; }

    /// <summary>How long a client without a live Subscribe stream keeps its handles.</summary>
    public TimeSpan LeaseTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Notices queued per subscriber before its stream is ended as too slow.</summary>
    public int NoticeQueueCapacity { get; init; } = 4096;

    /// <summary>How long a writer's close waits for a file server to apply its staged bytes before leaving them pending.</summary>
    public TimeSpan CommitTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The cluster key (base64, at least 32 bytes) that signs capabilities; see <c>ClusterKeys</c> for the fallbacks.</summary>
    public string? ClusterKey { get; init; }

    /// <summary>A file holding the cluster key (<c>--cluster-key-file</c>).</summary>
    public string? ClusterKeyFile { get; init; }

    /// <summary>
    /// Checks every setting and returns a copy whose file-server addresses are absolute
    /// (<c>localhost:50052</c> becomes <c>http://localhost:50052</c>).
    /// </summary>
    /// <exception cref="ArgumentException">A setting is missing or malformed; the message says which.</exception>
    public MetaServerOptions Normalize()
    {
        if (Port is < 0 or > 65535)
        {
            throw new ArgumentException($"port {Port} must be from 0 to 65535");
        }

        if (!string.IsNullOrEmpty(BindAddress) && !IPAddress.TryParse(BindAddress, out _))
        {
            throw new ArgumentException($"bind address '{BindAddress}' is not an IP address");
        }

        if (LeaseTimeout <= TimeSpan.Zero || LeaseTimeout > TimeSpan.FromDays(1))
        {
            throw new ArgumentException($"lease timeout {LeaseTimeout} must be positive and at most one day");
        }

        if (CommitTimeout <= TimeSpan.Zero || CommitTimeout > TimeSpan.FromMinutes(10))
        {
            throw new ArgumentException($"commit timeout {CommitTimeout} must be positive and at most ten minutes");
        }

        if (NoticeQueueCapacity < 1)
        {
            throw new ArgumentException($"notice queue capacity {NoticeQueueCapacity} must be at least 1");
        }

        if (Redis is { } redis && string.IsNullOrWhiteSpace(redis))
        {
            throw new ArgumentException("the Redis connection string is empty");
        }

        if (FileServers is null || FileServers.Count == 0)
        {
            throw new ArgumentException("at least one file server is required");
        }

        var servers = new List<string>(FileServers.Count);
        foreach (var address in FileServers)
        {
            servers.Add(NormalizeAddress(address));
        }

        return this with { FileServers = servers.AsReadOnly() };
    }

    /// <summary>Makes a file-server address absolute (http:// when it has no scheme) or says why it cannot be.</summary>
    /// <exception cref="ArgumentException">The address is not a plain http(s)://host[:port].</exception>
    public static string NormalizeAddress(string? address)
    {
        var trimmed = address?.Trim();
        if (string.IsNullOrEmpty(trimmed))
        {
            throw new ArgumentException("a file-server address is empty");
        }

        // "localhost:50052" would parse as a URI with scheme "localhost", so look for "://" instead.
        var withScheme = trimmed.Contains("://", StringComparison.Ordinal) ? trimmed : "http://" + trimmed;
        if (!Uri.TryCreate(withScheme, UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
            || string.IsNullOrEmpty(uri.Host)
            || !string.IsNullOrEmpty(uri.UserInfo)
            || uri.AbsolutePath != "/"
            || !string.IsNullOrEmpty(uri.Query)
            || !string.IsNullOrEmpty(uri.Fragment))
        {
            throw new ArgumentException($"file-server address '{trimmed}' is not of the form [http://]host:port");
        }

        return uri.GetLeftPart(UriPartial.Authority);
    }
}
