namespace Pfs.Fuse.Tests.MemoryFs;

/// <summary>One inode of the in-memory file system: a regular file, a directory or a symlink.</summary>
internal sealed class MemoryNode
{
    private byte[] _data = [];

    public MemoryNode(ulong id, uint mode, uint uid, uint gid)
    {
        Id = id;
        Mode = mode;
        Uid = uid;
        Gid = gid;
        Nlink = FuseMode.IsDirectory(mode) ? 2u : 1u;
        var now = FuseTime.Now;
        AccessTime = ModifyTime = ChangeTime = now;
    }

    public ulong Id { get; }

    public uint Mode { get; set; }

    public uint Uid { get; set; }

    public uint Gid { get; set; }

    public uint Nlink { get; set; }

    public FuseTime AccessTime { get; set; }

    public FuseTime ModifyTime { get; set; }

    public FuseTime ChangeTime { get; set; }

    /// <summary>The kernel's lookup count: the node may leave the table only when it is 0 and the node has no name.</summary>
    public ulong Lookups { get; set; }

    /// <summary>The file size (the data array may be larger).</summary>
    public long Size { get; private set; }

    /// <summary>Directory entries by name.</summary>
    public SortedDictionary<string, MemoryNode> Children { get; } = new(StringComparer.Ordinal);

    /// <summary>The containing directory of a directory (for "..").</summary>
    public MemoryNode? Parent { get; set; }

    public string? LinkTarget { get; set; }

    public bool IsDirectory => FuseMode.IsDirectory(Mode);

    public int Read(long offset, Span<byte> buffer)
    {
        if (offset >= Size)
            return 0;
        var count = (int)Math.Min(buffer.Length, Size - offset);
        _data.AsSpan((int)offset, count).CopyTo(buffer);
        return count;
    }

    public void Write(long offset, ReadOnlySpan<byte> data)
    {
        var end = offset + data.Length;
        if (end > Size)
            Resize(end);
        data.CopyTo(_data.AsSpan((int)offset));
    }

    public void Resize(long size)
    {
        if (size > MemoryFileSystem.MaxFileSize)
            throw new FuseException(Errno.EFBIG);
        if (size > _data.Length)
            Array.Resize(ref _data, (int)Math.Min(MemoryFileSystem.MaxFileSize, Math.Max(size, _data.Length * 2L)));
        else if (size < Size)
            _data.AsSpan((int)size, (int)(Size - size)).Clear();
        Size = size;
    }

    public byte[] Contents() => _data.AsSpan(0, (int)Size).ToArray();

    public FuseAttr Attr() => new()
    {
        Ino = Id,
        Size = (ulong)Size,
        Blocks = (ulong)((Size + 511) / 512),
        Mode = Mode,
        Nlink = Nlink,
        Uid = Uid,
        Gid = Gid,
        Blksize = 1 << 20,
        AccessTime = AccessTime,
        ModifyTime = ModifyTime,
        ChangeTime = ChangeTime,
    };
}
