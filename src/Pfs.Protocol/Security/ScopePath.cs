namespace Pfs.Protocol.Security;

/// <summary>
/// An identity's scope: a path prefix in the namespace, compared component by component on
/// full paths (without a leading '/'), so <c>/a</c> covers <c>a</c> and <c>a/b</c> but not <c>ab</c>.
/// </summary>
public static class ScopePath
{
    /// <summary>The scope's normal form ("" for the whole namespace), or null if it is not a valid path.</summary>
    public static string? Normalize(string? scope)
    {
        var trimmed = (scope ?? string.Empty).Trim();
        if (trimmed is "" or "/")
        {
            return string.Empty;
        }

        return PfsPaths.TrySplit(trimmed, out var components, out _) ? string.Join('/', components) : null;
    }

    /// <summary>True if the full path <paramref name="path"/> is <paramref name="scope"/> or below it.</summary>
    public static bool Covers(string scope, string path)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(path);
        return scope.Length == 0
            || path == scope
            || (path.Length > scope.Length && path[scope.Length] == '/' && path.StartsWith(scope, StringComparison.Ordinal));
    }

    /// <summary>True if <paramref name="path"/> is a directory on the way to <paramref name="scope"/> (the root included).</summary>
    public static bool IsAncestor(string scope, string path)
    {
        ArgumentNullException.ThrowIfNull(scope);
        ArgumentNullException.ThrowIfNull(path);
        return path.Length == 0
            || (scope.Length > path.Length && scope[path.Length] == '/' && scope.StartsWith(path, StringComparison.Ordinal));
    }
}
