using System.Globalization;

namespace Pfs.Cli.Output;

/// <summary>Times as the tool prints them: UTC, to the second, sortable.</summary>
internal static class Times
{
    public static string Format(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}
