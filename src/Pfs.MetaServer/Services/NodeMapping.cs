using Pfs.MetaServer.Registry;
using Pfs.Protocol.Meta;
using MetaFileInfo = Pfs.Protocol.Meta.FileInfo;

namespace Pfs.MetaServer.Services;

/// <summary>From namespace nodes to wire messages.</summary>
internal static class NodeMapping
{
    public static MetaFileInfo ToFileInfo(this NodeView view)
    {
        var node = view.Node;
        var info = new MetaFileInfo
        {
            Name = view.Path,
            FileId = node.Id,
            CreatedUnixMs = node.Created.ToUnixTimeMilliseconds(),
            ModifiedUnixMs = node.Modified.ToUnixTimeMilliseconds(),
            AccessedUnixMs = node.Accessed.ToUnixTimeMilliseconds(),
            ChangedUnixMs = node.Changed.ToUnixTimeMilliseconds(),
            Mode = node.Mode,
            Uid = node.Uid,
            Gid = node.Gid,
            LinkCount = view.LinkCount,
        };
        switch (node)
        {
            case FileNode file:
                info.Kind = NodeKind.File;
                info.Size = file.Size;
                info.Version = file.Version;
                info.Recipe = new StripeRecipe
                {
                    BlockSize = file.BlockSize,
                    StripeWidth = file.StripeWidth,
                    ParityBlocks = file.ParityBlocks,
                    Servers = { file.Servers },
                };
                info.StalePositions.AddRange(file.StalePositions);
                break;
            case DirectoryNode directory:
                info.Kind = NodeKind.Directory;
                // As CephFS reports it: the number of entries.
                info.Size = directory.Entries.Count;
                break;
            case SymlinkNode symlink:
                info.Kind = NodeKind.Symlink;
                info.Size = System.Text.Encoding.UTF8.GetByteCount(symlink.Target);
                info.Target = symlink.Target;
                break;
        }

        return info;
    }

    public static MetaFileInfo ToFileInfo(this FileNode file, string path) => new NodeView(file, path, (uint)file.Links.Count).ToFileInfo();
}
