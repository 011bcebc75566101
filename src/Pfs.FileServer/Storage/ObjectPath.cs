using System.Globalization;

namespace Pfs.FileServer.Storage;

/// <summary>
/// Where a stripe object lives: <c>stripes/&lt;last two hex digits&gt;/&lt;generation as 16 hex digits&gt;</c>.
/// The generation alone names it (a rename of the file changes nothing here), and its hex digits are
/// the only thing a request puts into a path, so no request can reach outside the stripes root. The
/// last two digits pick one of 256 directories: generations are handed out in sequence, so the low
/// digits spread a server's objects evenly.
/// </summary>
internal readonly record struct ObjectPath(string Directory, string File)
{
    /// <summary>Maps <paramref name="generation"/> under <paramref name="stripesRoot"/> (a full path), or refuses it.</summary>
    public static ObjectPath Resolve(string stripesRoot, ulong generation)
    {
        if (generation == 0)
        {
            throw new BlockStoreException(BlockStoreError.InvalidArgument, "an object's generation must not be 0");
        }

        var hex = generation.ToString("x16", CultureInfo.InvariantCulture);
        var directory = Path.Join(stripesRoot, hex[^2..]);
        return new ObjectPath(directory, Path.Join(directory, hex));
    }

    /// <summary>The path of <paramref name="key"/>'s object (its name plays no part).</summary>
    public static ObjectPath Resolve(string stripesRoot, ObjectKey key) => Resolve(stripesRoot, key.Generation);
}
