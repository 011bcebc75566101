using System.Runtime.InteropServices;
using System.Text;
using Pfs.Fuse.Protocol;

namespace Pfs.Fuse;

/// <summary>
/// Fills the reply of a READDIR with fuse_dirent records, straight into the reply buffer, and
/// refuses the entry that would not fit (the kernel asks again from that entry's offset).
/// </summary>
public sealed class FuseDirectoryWriter
{
    private readonly DirentBuffer _records;

    internal FuseDirectoryWriter(byte[] buffer, int start, int size) => _records = new DirentBuffer(buffer, start, size);

    /// <summary>The number of entries accepted so far.</summary>
    public int Count => _records.Count;

    internal int Length => _records.Length;

    /// <summary>
    /// Adds an entry. <paramref name="nextOffset"/> is the cookie the kernel passes back to continue
    /// after this entry (never 0). Returns false, adding nothing, when the entry does not fit.
    /// </summary>
    /// <param name="name">The entry name (UTF-8 on the wire).</param>
    /// <param name="ino">The inode number shown in d_ino.</param>
    /// <param name="mode">The mode of the entry; only the file-type bits are used.</param>
    /// <param name="nextOffset">The offset cookie of the entry after this one.</param>
    public bool TryAdd(string name, ulong ino, uint mode, long nextOffset)
    {
        var nameLength = DirentEncoder.CheckName(name);
        if (!_records.TryTake(Dirent.Align(Dirent.WireSize + nameLength), out var record))
            return false;
        DirentEncoder.Write(record, name, nameLength, ino, mode, nextOffset);
        return true;
    }
}

/// <summary>
/// Fills the reply of a READDIRPLUS with fuse_direntplus records (entry and attributes of each
/// name), straight into the reply buffer, and refuses the entry that would not fit.
/// </summary>
public sealed class FuseDirectoryPlusWriter
{
    private readonly DirentBuffer _records;

    internal FuseDirectoryPlusWriter(byte[] buffer, int start, int size) => _records = new DirentBuffer(buffer, start, size);

    /// <summary>The number of entries accepted so far.</summary>
    public int Count => _records.Count;

    internal int Length => _records.Length;

    /// <summary>
    /// Adds an entry with its attributes. An accepted entry whose node id is not 0, other than "."
    /// and "..", adds one to the node's lookup count. Returns false, adding nothing, when the entry
    /// does not fit.
    /// </summary>
    /// <param name="name">The entry name (UTF-8 on the wire).</param>
    /// <param name="entry">The entry as a lookup would answer it; its attributes give d_ino and the type.</param>
    /// <param name="nextOffset">The offset cookie of the entry after this one.</param>
    public bool TryAdd(string name, in FuseEntry entry, long nextOffset)
    {
        var nameLength = DirentEncoder.CheckName(name);
        if (!_records.TryTake(Dirent.Align(EntryOut.WireSize + Dirent.WireSize + nameLength), out var record))
            return false;
        var entryOut = FuseReplies.ToEntryOut(entry);
        MemoryMarshal.Write(record, in entryOut);
        DirentEncoder.Write(record[EntryOut.WireSize..], name, nameLength, entry.Attr.Ino, entry.Attr.Mode, nextOffset);
        return true;
    }
}

/// <summary>The part of a reply buffer that directory records fill, one whole record after another.</summary>
internal sealed class DirentBuffer
{
    private readonly byte[] _buffer;
    private readonly int _start;
    private readonly int _end;
    private int _position;

    public DirentBuffer(byte[] buffer, int start, int size)
    {
        _buffer = buffer;
        _start = start;
        _end = start + size;
        _position = start;
    }

    /// <summary>Records taken so far.</summary>
    public int Count { get; private set; }

    /// <summary>Bytes taken so far.</summary>
    public int Length => _position - _start;

    /// <summary>The next <paramref name="length"/> bytes for one record, or false (taking nothing) when they do not fit.</summary>
    public bool TryTake(int length, out Span<byte> record)
    {
        if (_position + length > _end)
        {
            record = default;
            return false;
        }

        record = _buffer.AsSpan(_position, length);
        _position += length;
        Count++;
        return true;
    }
}

internal static class DirentEncoder
{
    private const int MaxNameLength = 1024;

    public static int CheckName(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        var length = Encoding.UTF8.GetByteCount(name);
        if (length > MaxNameLength)
            throw new FuseException(Errno.ENAMETOOLONG);
        return length;
    }

    public static void Write(Span<byte> record, string name, int nameLength, ulong ino, uint mode, long nextOffset)
    {
        var dirent = new Dirent { Ino = ino, Off = (ulong)nextOffset, NameLen = (uint)nameLength, Type = FuseMode.DirentType(mode) };
        MemoryMarshal.Write(record, in dirent);
        var written = Encoding.UTF8.GetBytes(name, record[Dirent.WireSize..]);
        record[(Dirent.WireSize + written)..].Clear();
    }
}
