using System.Globalization;
using Pfs.Protocol;

namespace Pfs.FileServer.Storage;

/// <summary>Where a stripe object lives: <c>objects/&lt;name&gt;/&lt;generation as 16 hex digits&gt;</c>.</summary>
internal readonly record struct ObjectPath(string Directory, string File)
{
    /// <summary>Maps <paramref name="key"/> under <paramref name="objectsRoot"/> (a full path), or refuses it.</summary>
    public static ObjectPath Resolve(string objectsRoot, ObjectKey key)
    {
        if (PfsNames.Validate(key.Name) is { } why)
        {
            throw new BlockStoreException(BlockStoreError.InvalidArgument, why);
        }

        if (key.Generation == 0)
        {
            throw new BlockStoreException(BlockStoreError.InvalidArgument, "an object's generation must not be 0");
        }

        var directory = Path.Join(objectsRoot, key.Name);
        var file = Path.Join(directory, key.Generation.ToString("x16", CultureInfo.InvariantCulture));

        // PfsNames already rules out separators and dot names; this catches whatever a platform's
        // path rules would still rewrite (trailing dots on Windows, say), so no name can ever
        // reach outside the objects root or alias another object.
        var full = Path.GetFullPath(file);
        if (!string.Equals(full, file, StringComparison.Ordinal)
            || !string.Equals(Path.GetDirectoryName(full), directory, StringComparison.Ordinal)
            || !string.Equals(Path.GetDirectoryName(directory), objectsRoot, StringComparison.Ordinal))
        {
            throw new BlockStoreException(BlockStoreError.InvalidArgument, "the file name cannot be stored on this server");
        }

        return new ObjectPath(directory, file);
    }
}
