using System.Globalization;
using Pfs.Client;

namespace Pfs.Cli.Output;

/// <summary>POSIX mode bits as <c>ls -l</c> shows them.</summary>
internal static class Modes
{
    /// <summary>The permission bits of a mode (the type bits above them are the entry's kind).</summary>
    public const uint PermissionBits = 0xFFF;

    public static string Format(PfsFileInfo info)
    {
        ArgumentNullException.ThrowIfNull(info);
        var mode = info.Mode;
        Span<char> text = stackalloc char[10];
        text[0] = info.Kind switch
        {
            PfsEntryKind.Directory => 'd',
            PfsEntryKind.SymbolicLink => 'l',
            _ => '-',
        };
        const string Letters = "rwxrwxrwx";
        for (var i = 0; i < 9; i++)
        {
            text[1 + i] = (mode & (1u << (8 - i))) != 0 ? Letters[i] : '-';
        }

        // setuid, setgid and sticky replace the x of their triple, as ls shows them.
        Special(text, 3, (mode & 0x800) != 0, 's');
        Special(text, 6, (mode & 0x400) != 0, 's');
        Special(text, 9, (mode & 0x200) != 0, 't');
        return new string(text);
    }

    /// <summary>The permission bits in octal, e.g. <c>0755</c>.</summary>
    public static string Octal(uint mode) => Convert.ToString(mode & PermissionBits, 8).PadLeft(4, '0');

    /// <summary>How a listing names an entry: <c>dir/</c>, <c>link -> target</c>, or the path.</summary>
    public static string Label(PfsFileInfo info) => info.Kind switch
    {
        PfsEntryKind.Directory => info.Name + "/",
        PfsEntryKind.SymbolicLink => $"{info.Name} -> {info.Target}",
        _ => info.Name,
    };

    public static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static void Special(Span<char> text, int index, bool set, char letter)
    {
        if (set)
        {
            text[index] = text[index] == 'x' ? letter : char.ToUpperInvariant(letter);
        }
    }
}
