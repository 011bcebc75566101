using Pfs.Cli.Output;
using Pfs.Client;

namespace Pfs.Cli.Commands;

/// <summary>Walking and naming paths in Pfs, shared by the commands that take whole trees.</summary>
internal static class PfsTree
{
    /// <summary>A path as the tool shows it: without a leading <c>/</c>; the root is <c>/</c>.</summary>
    public static string Show(string path)
    {
        var trimmed = path.TrimStart('/');
        return trimmed.Length == 0 ? "/" : trimmed;
    }

    /// <summary>The last component of a path (empty for the root).</summary>
    public static string LastComponent(string path)
    {
        var trimmed = path.Trim('/');
        var slash = trimmed.LastIndexOf('/');
        return slash < 0 ? trimmed : trimmed[(slash + 1)..];
    }

    /// <summary>The parent directory of a path (empty for a name in the root).</summary>
    public static string Parent(string path)
    {
        var trimmed = path.Trim('/');
        var slash = trimmed.LastIndexOf('/');
        return slash < 0 ? string.Empty : trimmed[..slash];
    }

    /// <summary><paramref name="name"/> inside <paramref name="directory"/>.</summary>
    public static string Join(string directory, string name)
    {
        var trimmed = directory.Trim('/');
        return trimmed.Length == 0 ? name : $"{trimmed}/{name}";
    }

    /// <summary>A directory's entries, sorted by name, so output is the same from run to run.</summary>
    public static async Task<List<PfsFileInfo>> ListSortedAsync(PfsClient client, string directory, CancellationToken cancellationToken)
    {
        var entries = new List<PfsFileInfo>();
        await foreach (var entry in client.ListAsync(directory, cancellationToken).ConfigureAwait(false))
        {
            entries.Add(entry);
        }

        entries.Sort(static (a, b) => string.CompareOrdinal(a.Name, b.Name));
        return entries;
    }

    /// <summary>Every entry under <paramref name="directory"/>, depth first, parents before their children.</summary>
    public static async IAsyncEnumerable<PfsFileInfo> WalkAsync(PfsClient client, string directory,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        foreach (var entry in await ListSortedAsync(client, directory, cancellationToken).ConfigureAwait(false))
        {
            yield return entry;
            if (entry.Kind == PfsEntryKind.Directory)
            {
                await foreach (var child in WalkAsync(client, entry.Name, cancellationToken).ConfigureAwait(false))
                {
                    yield return child;
                }
            }
        }
    }

    /// <summary>True if <paramref name="path"/> names an existing directory.</summary>
    public static async Task<bool> IsDirectoryAsync(PfsClient client, string path, CancellationToken cancellationToken)
    {
        try
        {
            return (await client.StatAsync(path, cancellationToken).ConfigureAwait(false)).Kind == PfsEntryKind.Directory;
        }
        catch (PfsException ex) when (ex.Code is PfsErrorCode.NotFound or PfsErrorCode.NotADirectory)
        {
            return false;
        }
    }

    /// <summary>
    /// Removes <paramref name="info"/> and, for a directory, everything under it: the files and links,
    /// <paramref name="jobs"/> at once, then the directories, deepest first (each level's at once).
    /// </summary>
    public static async Task RemoveAsync(CliConsole console, PfsClient client, PfsFileInfo info, int jobs, CancellationToken cancellationToken)
    {
        if (info.Kind != PfsEntryKind.Directory)
        {
            await RemoveOneAsync(console, client, info, cancellationToken).ConfigureAwait(false);
            return;
        }

        var entries = new List<PfsFileInfo>();
        await foreach (var entry in WalkAsync(client, info.Name, cancellationToken).ConfigureAwait(false))
        {
            entries.Add(entry);
        }

        await Transfer.ForEachAsync(entries.Where(entry => entry.Kind != PfsEntryKind.Directory), jobs,
            async (entry, token) => await RemoveOneAsync(console, client, entry, token).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);
        await Transfer.ByLevelAsync(entries.Where(entry => entry.Kind == PfsEntryKind.Directory), entry => entry.Name, deepestFirst: true, jobs,
            async (entry, token) => await RemoveOneAsync(console, client, entry, token).ConfigureAwait(false), cancellationToken).ConfigureAwait(false);

        await RemoveOneAsync(console, client, info, cancellationToken).ConfigureAwait(false);
    }

    private static Task RemoveOneAsync(CliConsole console, PfsClient client, PfsFileInfo info, CancellationToken cancellationToken) => info.Kind switch
    {
        PfsEntryKind.Directory => client.DeleteDirectoryAsync(info.Name, cancellationToken),
        PfsEntryKind.SymbolicLink => client.UnlinkAsync(info.Name, cancellationToken),
        // A file's delete waits, like a writer, for whoever has it open.
        _ => LockWait.NoticeAsync(console, info.Name, () => client.DeleteAsync(info.Name, cancellationToken)),
    };
}
