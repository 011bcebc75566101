using System.Text;

namespace Pfs.Protocol;

/// <summary>
/// The one rule for paths, applied by the client and again by the metadata server: components
/// separated by '/', each a valid <see cref="PfsNames"/> name; one leading '/' is allowed and changes
/// nothing; "" and "/" name the base directory itself (the root for a full path); an empty component
/// ("a//b") or a trailing '/' is refused; at most <see cref="MaxPathBytes"/> UTF-8 bytes in all.
/// </summary>
public static class PfsPaths
{
    /// <summary>Longest path in UTF-8 bytes (PATH_MAX).</summary>
    public const int MaxPathBytes = 4096;

    /// <summary>Returns null when <paramref name="path"/> is a valid path, otherwise why it is not.</summary>
    public static string? Validate(string? path) => TrySplit(path, out _, out var error) ? null : error;

    /// <summary>True when <paramref name="path"/> is a valid path.</summary>
    public static bool IsValid(string? path) => Validate(path) is null;

    /// <summary>
    /// The components of a valid path (none for the root), or false with why it is not valid.
    /// </summary>
    public static bool TrySplit(string? path, out string[] components, out string? error)
    {
        components = [];
        if (path is null)
        {
            error = "a path must not be null";
            return false;
        }

        // Checked on characters first so a huge path is refused without encoding it.
        if (path.Length > MaxPathBytes)
        {
            error = $"a path must be at most {MaxPathBytes} UTF-8 bytes";
            return false;
        }

        var relative = path.StartsWith('/') ? path[1..] : path;
        if (relative.Length == 0)
        {
            error = null;
            return true;
        }

        if (relative.EndsWith('/'))
        {
            error = $"'{Shorten(path)}' ends with '/'";
            return false;
        }

        var parts = relative.Split('/');
        foreach (var part in parts)
        {
            if (part.Length == 0)
            {
                error = $"'{Shorten(path)}' has an empty component";
                return false;
            }

            if (PfsNames.Validate(part) is { } why)
            {
                error = $"'{Shorten(path)}': {why.Replace("a file name", "each path component", StringComparison.Ordinal)}";
                return false;
            }
        }

        // Every component is valid Unicode by now, so this cannot throw.
        if (Encoding.UTF8.GetByteCount(path) > MaxPathBytes)
        {
            error = $"a path must be at most {MaxPathBytes} UTF-8 bytes";
            return false;
        }

        components = parts;
        error = null;
        return true;
    }

    /// <summary>The path without its leading '/' (the form every reply names a node by).</summary>
    public static string Normalize(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return path.StartsWith('/') ? path[1..] : path;
    }

    /// <summary><paramref name="directory"/>'s path joined with one more component ("" is the root).</summary>
    public static string Join(string directory, string name)
    {
        ArgumentNullException.ThrowIfNull(directory);
        return directory.Length == 0 ? name : string.Concat(directory, "/", name);
    }

    /// <summary>The parent's path and the last component of a valid, non-root path.</summary>
    public static (string Parent, string Name) SplitLast(string path)
    {
        var normalized = Normalize(path);
        var slash = normalized.LastIndexOf('/');
        return slash < 0 ? (string.Empty, normalized) : (normalized[..slash], normalized[(slash + 1)..]);
    }

    // Error messages quote the path; a hostile one must not make them huge.
    private static string Shorten(string path) => path.Length <= 128 ? path : string.Concat(path.AsSpan(0, 128), "...");
}
