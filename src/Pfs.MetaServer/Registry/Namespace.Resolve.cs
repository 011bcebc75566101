using Pfs.MetaServer.Errors;
using Pfs.Protocol;

namespace Pfs.MetaServer.Registry;

/// <summary>Path resolution, under the gate. Symbolic links are never followed: one in the middle of a path is not a directory.</summary>
internal sealed partial class Namespace
{
    /// <summary>
    /// Where a path leads: the directory holding its last component, that name, what it names (null if
    /// free), and the path's full form. <see cref="Parent"/> is null when the path is the base itself.
    /// </summary>
    private readonly record struct Resolved(DirectoryNode? Parent, string Name, Node? Node, string Path);

    /// <exception cref="MetaException">InvalidArgument for a bad path, NotFound or NotADirectory on the way.</exception>
    private Resolved Resolve(ulong baseId, string path)
    {
        if (!PfsPaths.TrySplit(path, out var components, out var error))
        {
            throw MetaException.InvalidArgument($"invalid path: {error}");
        }

        var start = baseId == 0 ? DirectoryNode.RootId : baseId;
        if (!_nodes.TryGetValue(start, out var baseNode))
        {
            throw new MetaException(MetaErrorCode.NotFound, $"inode {baseId} not found");
        }

        if (components.Length == 0)
        {
            return new(null, string.Empty, baseNode, PathOf(baseNode));
        }

        if (baseNode is not DirectoryNode directory)
        {
            throw new MetaException(MetaErrorCode.NotADirectory, $"inode {baseId} is not a directory");
        }

        var directoryPath = baseNode.Id == DirectoryNode.RootId ? string.Empty : PathOf(directory);
        for (var i = 0; i < components.Length - 1; i++)
        {
            var inside = PfsPaths.Join(directoryPath, components[i]);
            if (!directory.Entries.TryGet(components[i], out var id) || !_nodes.TryGetValue(id, out var child))
            {
                throw MetaException.NotFound(inside);
            }

            directory = child as DirectoryNode ?? throw MetaException.NotADirectory(inside);
            directoryPath = inside;
        }

        var name = components[^1];
        var node = directory.Entries.TryGet(name, out var last) ? _nodes.GetValueOrDefault(last) : null;
        return new(directory, name, node, PfsPaths.Join(directoryPath, name));
    }

    /// <summary>A path that must name an entry in a directory (not the base itself): for creating, removing and renaming.</summary>
    private Resolved ResolveEntry(ulong baseId, string path, string what)
    {
        var resolved = Resolve(baseId, path);
        return resolved.Parent is null
            ? throw MetaException.InvalidArgument(resolved.Node?.Id == DirectoryNode.RootId
                ? $"the root directory cannot be {what}"
                : $"an empty path names the base directory itself, which cannot be {what} this way")
            : resolved;
    }

    /// <summary>A directory by path, for a listing.</summary>
    private (DirectoryNode Directory, string Path) ResolveDirectory(ulong baseId, string path)
    {
        var resolved = Resolve(baseId, path);
        return resolved.Node switch
        {
            DirectoryNode directory => (directory, resolved.Path),
            null => throw MetaException.NotFound(resolved.Path),
            _ => throw MetaException.NotADirectory(resolved.Path),
        };
    }

    /// <summary>True if <paramref name="directory"/> is <paramref name="ancestor"/> or lies somewhere below it.</summary>
    private bool IsWithin(DirectoryNode directory, ulong ancestor)
    {
        var current = directory;
        for (var depth = 0; depth <= _nodes.Count; depth++)
        {
            if (current.Id == ancestor)
            {
                return true;
            }

            if (current.Id == DirectoryNode.RootId || _nodes.GetValueOrDefault(current.Parent) is not DirectoryNode parent)
            {
                return false;
            }

            current = parent;
        }

        return false;
    }
}
