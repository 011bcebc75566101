using Pfs.Protocol.FileServer;

namespace Pfs.Client.Transport;

/// <summary>An open file's stripe recipe, resolved to connections: everything a block transfer needs.</summary>
internal sealed class FileLayout
{
    public FileLayout(string name, ulong fileId, int blockSize, IReadOnlyList<FileServerConnection> servers, Capability? capability = null)
    {
        Capability = capability;
        Name = name;
        FileId = fileId;
        BlockSize = blockSize;
        Servers = servers;
        ObjectId = new ObjectId { Name = name, Generation = fileId };
    }

    public string Name { get; }

    public ulong FileId { get; }

    public int BlockSize { get; }

    public int Width => Servers.Count;

    public IReadOnlyList<FileServerConnection> Servers { get; }

    public ObjectId ObjectId { get; }

    /// <summary>What the metadata server granted this open; every file-server call presents it.</summary>
    public Capability? Capability { get; }
}
