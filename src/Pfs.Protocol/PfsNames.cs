using System.Text;

namespace Pfs.Protocol;

/// <summary>The one rule for file names, applied by the client and by both servers.</summary>
public static class PfsNames
{
    /// <summary>Longest name in UTF-8 bytes; also the longest file name a POSIX file system takes.</summary>
    public const int MaxNameBytes = 255;

    /// <summary>Returns null when <paramref name="name"/> is a valid Pfs file name, otherwise why it is not.</summary>
    public static string? Validate(string? name)
    {
        if (string.IsNullOrEmpty(name))
        {
            return "a file name must not be empty";
        }

        // Checked on characters first so a huge name is refused without encoding it.
        if (name.Length > MaxNameBytes)
        {
            return $"a file name must be at most {MaxNameBytes} UTF-8 bytes";
        }

        if (name is "." or "..")
        {
            return $"'{name}' is not a valid file name";
        }

        foreach (var c in name)
        {
            if (c is '/' or '\\' or '\0')
            {
                return "a file name must not contain '/', '\\' or NUL";
            }
        }

        int byteCount;
        try
        {
            byteCount = StrictUtf8.GetByteCount(name);
        }
        catch (EncoderFallbackException)
        {
            return "a file name must be valid Unicode (no lone surrogates)";
        }

        return byteCount > MaxNameBytes ? $"a file name must be at most {MaxNameBytes} UTF-8 bytes" : null;
    }

    /// <summary>True when <paramref name="name"/> is a valid Pfs file name.</summary>
    public static bool IsValid(string? name) => Validate(name) is null;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);
}
