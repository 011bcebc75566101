using System.Diagnostics.CodeAnalysis;

namespace Pfs.Protocol.Transport;

/// <summary>
/// The one reading of a server address as people write it: <c>host:port</c> (taken as
/// <c>http://host:port</c>) or <c>http(s)://host[:port]</c>, with nothing after the authority.
/// </summary>
public static class PfsAddress
{
    /// <summary>
    /// True when <paramref name="text"/> is such an address; <paramref name="address"/> is then
    /// absolute, with no path (<c>localhost:50052</c> becomes <c>http://localhost:50052/</c>).
    /// </summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out Uri? address)
    {
        address = null;
        var trimmed = text?.Trim();
        if (string.IsNullOrEmpty(trimmed))
        {
            return false;
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
            return false;
        }

        address = uri;
        return true;
    }

    /// <summary>Like <see cref="TryParse"/>, for an address that must be valid.</summary>
    /// <exception cref="FormatException">It is not of the form [http(s)://]host[:port].</exception>
    public static Uri Parse(string text) =>
        TryParse(text, out var address)
            ? address
            : throw new FormatException($"'{text?.Trim()}' is not an address of the form [http://]host:port");

    /// <summary>
    /// The address in the one text form servers store and compare (<c>http://host:port</c>, no
    /// trailing slash, default port left out); null when <paramref name="text"/> is not an address.
    /// </summary>
    public static string? Normalize(string? text) =>
        TryParse(text, out var address) ? address.GetLeftPart(UriPartial.Authority) : null;
}
