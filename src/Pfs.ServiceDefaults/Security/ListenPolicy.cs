using System.Net;
using Microsoft.Extensions.Configuration;
using Pfs.ServiceDefaults.Settings;

namespace Pfs.ServiceDefaults.Security;

/// <summary>
/// Secure by default, as Redis's protected mode: a server that does not require authentication
/// listens on loopback only. <c>--port</c> without <c>--bind</c> binds 127.0.0.1, and any other
/// address (a <c>--bind</c>, or an endpoint from configuration such as ASPNETCORE_URLS) is refused
/// unless authentication is required or <c>--insecure-bind</c> insists.
/// </summary>
public static class ListenPolicy
{
    /// <summary>The address to bind with a port: the one asked for, else loopback.</summary>
    public static IPAddress BindAddress(IPfsServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return string.IsNullOrEmpty(options.BindAddress) ? IPAddress.Loopback : IPAddress.Parse(options.BindAddress);
    }

    /// <summary>The addresses the server will listen on that are not loopback (hosts, as configured).</summary>
    public static IReadOnlyList<string> NonLoopback(IPfsServerOptions options, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(configuration);
        if (options.Port is not null)
        {
            var address = BindAddress(options);
            return IPAddress.IsLoopback(address) ? [] : [address.ToString()];
        }

        var urls = (configuration["urls"] ?? string.Empty).Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Concat(configuration.GetSection("Kestrel:Endpoints").GetChildren().Select(endpoint => endpoint["Url"]).OfType<string>())
            .Select(Host)
            .ToList();

        // ASPNETCORE_HTTP_PORTS and _HTTPS_PORTS bind every interface.
        if (!string.IsNullOrWhiteSpace(configuration["http_ports"]) || !string.IsNullOrWhiteSpace(configuration["https_ports"]))
        {
            urls.Add("*");
        }

        return [.. urls.Where(host => !IsLoopback(host)).Distinct(StringComparer.OrdinalIgnoreCase)];
    }

    /// <summary>
    /// Why the server must not start with these settings (one line), or null. <paramref name="warning"/>
    /// is set when it may start but should say something: insisting on an insecure bind, or
    /// serving other hosts in cleartext.
    /// </summary>
    public static string? Check(IPfsServerOptions options, PfsSecurityOptions security, IConfiguration configuration, out string? warning)
    {
        ArgumentNullException.ThrowIfNull(security);
        var exposed = NonLoopback(options, configuration);
        warning = null;
        if (exposed.Count == 0)
        {
            if (security.Authentication != PfsAuthentication.Required)
            {
                warning = "loopback only: no authentication is required, so no other host may connect (--auth required, and TLS, to serve other hosts; see docs/SECURITY.md)";
            }

            return null;
        }

        var where = string.Join(", ", exposed);
        if (security.Authentication != PfsAuthentication.Required)
        {
            if (!security.InsecureBind)
            {
                return $"refusing to bind {where} without authentication: pass --auth required (and TLS), or {PfsSecurityOptions.InsecureBindFlag.Name} to insist";
            }

            warning = $"WARNING: binding {where} without authentication ({PfsSecurityOptions.InsecureBindFlag.Name}): any host that reaches this port may read and change every file";
            return null;
        }

        if (!security.Tls)
        {
            warning = $"WARNING: binding {where} without TLS: keys stay secret, but file bytes and names cross the network in clear text";
        }

        return null;
    }

    private static string Host(string url)
    {
        var rest = url.Contains("://", StringComparison.Ordinal) ? url[(url.IndexOf("://", StringComparison.Ordinal) + 3)..] : url;
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0)
        {
            rest = rest[..slash];
        }

        if (rest.StartsWith('['))
        {
            var close = rest.IndexOf(']', StringComparison.Ordinal);
            return close > 0 ? rest[1..close] : rest;
        }

        var colon = rest.LastIndexOf(':');
        return colon >= 0 ? rest[..colon] : rest;
    }

    private static bool IsLoopback(string host) =>
        string.Equals(host, "localhost", StringComparison.OrdinalIgnoreCase)
        || (IPAddress.TryParse(host, out var address) && IPAddress.IsLoopback(address));
}
