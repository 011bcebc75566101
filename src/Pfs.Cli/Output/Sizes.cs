using System.Globalization;

namespace Pfs.Cli.Output;

/// <summary>Byte counts as people write and read them: <c>4096</c>, <c>64K</c>, <c>1MiB</c>; <c>50.0 MiB</c>.</summary>
internal static class Sizes
{
    private static readonly string[] Units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];

    /// <summary>Parses a byte count with an optional binary suffix (K, M, G; KiB, MiB, GiB; KB, MB, GB all mean powers of 1024).</summary>
    public static bool TryParse(string text, out long bytes)
    {
        bytes = 0;
        var trimmed = text.Trim();
        var digits = 0;
        while (digits < trimmed.Length && char.IsAsciiDigit(trimmed[digits]))
        {
            digits++;
        }

        if (digits == 0 || !long.TryParse(trimmed.AsSpan(0, digits), NumberStyles.None, CultureInfo.InvariantCulture, out var number))
        {
            return false;
        }

        var shift = trimmed[digits..].ToUpperInvariant() switch
        {
            "" or "B" => 0,
            "K" or "KB" or "KIB" => 10,
            "M" or "MB" or "MIB" => 20,
            "G" or "GB" or "GIB" => 30,
            _ => -1,
        };
        if (shift < 0 || number > (long.MaxValue >> shift))
        {
            return false;
        }

        bytes = number << shift;
        return true;
    }

    /// <summary>A short human form: exact below 1 KiB and for whole multiples (<c>1 MiB</c>), else one decimal (<c>50.3 MiB</c>).</summary>
    public static string Format(long bytes)
    {
        if (bytes < 1024)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{bytes} B");
        }

        var unit = 0;
        var value = (double)bytes;
        while (value >= 1024 && unit < Units.Length - 1)
        {
            value /= 1024;
            unit++;
        }

        var whole = bytes % (1L << (10 * unit)) == 0;
        return whole
            ? string.Create(CultureInfo.InvariantCulture, $"{value:0} {Units[unit]}")
            : string.Create(CultureInfo.InvariantCulture, $"{value:0.0} {Units[unit]}");
    }

    /// <summary>Bytes per second as a rate, for transfer summaries.</summary>
    public static string Rate(long bytes, TimeSpan elapsed) =>
        elapsed <= TimeSpan.Zero ? "-" : Format((long)(bytes / elapsed.TotalSeconds)) + "/s";
}
