using System.Globalization;

namespace Pfs.Cli.Output;

/// <summary>A count with its noun, singular for one: <c>1 file</c>, <c>0 files</c>, <c>3 entries</c>.</summary>
internal static class Counts
{
    /// <summary><paramref name="count"/> and <paramref name="one"/>, or <paramref name="many"/> (default: <paramref name="one"/> + "s") unless it is 1.</summary>
    public static string Of(long count, string one, string? many = null) =>
        string.Create(CultureInfo.InvariantCulture, $"{count} {(count == 1 ? one : many ?? one + "s")}");
}
