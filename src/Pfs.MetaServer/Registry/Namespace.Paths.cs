namespace Pfs.MetaServer.Registry;

/// <summary>Every name a node has, for sending a notice only to subscribers whose scope covers one of them.</summary>
internal sealed partial class Namespace
{
    /// <summary>
    /// The full paths of the node (each of a file's hard links; a directory's one), or null if it is gone
    /// or has no name left (an open, unlinked file), so that no scope can be told apart.
    /// </summary>
    public IReadOnlyList<string>? PathsOf(ulong id)
    {
        EnsureLoaded();
        lock (_gate)
        {
            switch (_nodes.GetValueOrDefault(id))
            {
                case DirectoryNode directory:
                    return [PathOf(directory)];
                case LinkedNode { Links.Count: > 0 } linked:
                    var paths = new List<string>(linked.Links.Count);
                    foreach (var link in linked.Links)
                    {
                        if (_nodes.GetValueOrDefault(link.Parent) is DirectoryNode parent)
                        {
                            var parentPath = parent.Id == DirectoryNode.RootId ? string.Empty : PathOf(parent);
                            paths.Add(parentPath.Length == 0 ? link.Name : parentPath + "/" + link.Name);
                        }
                    }

                    return paths.Count > 0 ? paths : null;
                default:
                    return null;
            }
        }
    }
}
