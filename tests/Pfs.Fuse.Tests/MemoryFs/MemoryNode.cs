namespace Pfs.Fuse.Tests.MemoryFs;

/// <summary>One inode of the in-memory file system: a regular file, a directory or a symlink.</summary>
internal sealed class MemoryNode
{
    // The bytes in 1 MiB chunks: a growing file allocates a chunk at a time instead of copying
    // itself into ever larger arrays, and a hole is a missing chunk.
    private const int ChunkSize = 1 << 20;
    private readonly List<byte[]?> _chunks = [];

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
        for (var done = 0; done < count;)
        {
            var (index, within) = ((int)((offset + done) / ChunkSize), (int)((offset + done) % ChunkSize));
            var length = Math.Min(count - done, ChunkSize - within);
            var target = buffer.Slice(done, length);
            if (_chunks[index] is { } chunk)
                chunk.AsSpan(within, length).CopyTo(target);
            else
                target.Clear();
            done += length;
        }
        return count;
    }

    public void Write(long offset, ReadOnlySpan<byte> data)
    {
        var end = offset + data.Length;
        if (end > Size)
            Resize(end);
        for (var done = 0; done < data.Length;)
        {
            var (index, within) = ((int)((offset + done) / ChunkSize), (int)((offset + done) % ChunkSize));
            var length = Math.Min(data.Length - done, ChunkSize - within);
            // A chunk written whole needs no zeroing first.
            var chunk = _chunks[index] ??= length == ChunkSize ? GC.AllocateUninitializedArray<byte>(ChunkSize) : new byte[ChunkSize];
            data.Slice(done, length).CopyTo(chunk.AsSpan(within));
            done += length;
        }
    }

    public void Resize(long size)
    {
        if (size > MemoryFileSystem.MaxFileSize)
            throw new FuseException(Errno.EFBIG);
        if (size < Size)
        {
            // Zero the cut-off tail of the last chunk kept, so a later growth reads zeros there.
            var keep = (int)((size + ChunkSize - 1) / ChunkSize);
            _chunks.RemoveRange(keep, _chunks.Count - keep);
            if (size % ChunkSize != 0 && _chunks[^1] is { } last)
                last.AsSpan((int)(size % ChunkSize)).Clear();
        }
        while ((long)_chunks.Count * ChunkSize < size)
            _chunks.Add(null);
        Size = size;
    }

    public byte[] Contents()
    {
        var bytes = new byte[Size];
        Read(0, bytes);
        return bytes;
    }

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
