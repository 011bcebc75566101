using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Pfs.FileServer.Storage.Sums;

/// <summary>
/// A file of block sums beside an object (<c>&lt;object&gt;.sums</c>) or beside its stage's shadow
/// (<c>&lt;object&gt;.stage.sums</c>): an 8-byte header (the magic "PSUM", then the checksum block, the
/// unit every entry of the object is for), then one <see cref="SumEntry"/> per block, block k at
/// 8 + 8k. Entries never written read as zeros, which is <see cref="SumEntry.None"/>.
/// </summary>
internal static class SumFile
{
    public const int HeaderBytes = 8;
    private const uint Magic = 0x4D55_5350; // "PSUM" little-endian

    /// <summary>What the committed sums' file name adds to the object's.</summary>
    public const string CommittedSuffix = ".sums";

    public static string CommittedOf(ObjectPath path) => path.File + CommittedSuffix;

    public const string ShadowSuffix = ".sums";

    public static string ShadowOf(ObjectPath path) => Staging.Stage.ShadowOf(path) + ShadowSuffix;

    /// <summary>The unit in the header of <paramref name="file"/>, or 0 if there is no such file or it is not a sum file.</summary>
    public static int ReadUnit(string file)
    {
        try
        {
            using var handle = ObjectFiles.OpenExisting(file, FileAccess.Read);
            return ReadUnit(handle);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return 0;
        }
    }

    public static int ReadUnit(SafeFileHandle handle)
    {
        Span<byte> header = stackalloc byte[HeaderBytes];
        if (RandomAccess.Read(handle, header, 0) < HeaderBytes || BinaryPrimitives.ReadUInt32LittleEndian(header) != Magic)
        {
            return 0;
        }

        var unit = BinaryPrimitives.ReadInt32LittleEndian(header[4..]);
        return Protocol.BlockChecksum.Validate(unit) is null ? unit : 0;
    }

    /// <summary>Opens <paramref name="file"/> for writing, giving it a header for <paramref name="unit"/> if it is new or empty.</summary>
    public static SafeFileHandle OpenForWrite(ObjectPath path, string file, int unit)
    {
        var handle = ObjectFiles.OpenForWrite(path.Directory, file, FileMode.OpenOrCreate, FileAccess.ReadWrite);
        try
        {
            if (RandomAccess.GetLength(handle) < HeaderBytes)
            {
                Span<byte> header = stackalloc byte[HeaderBytes];
                BinaryPrimitives.WriteUInt32LittleEndian(header, Magic);
                BinaryPrimitives.WriteInt32LittleEndian(header[4..], unit);
                RandomAccess.Write(handle, header, 0);
            }

            return handle;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>Reads the entries of blocks <paramref name="first"/> on into <paramref name="entries"/>; missing ones are none.</summary>
    public static void Read(SafeFileHandle handle, long first, Span<SumEntry> entries)
    {
        var bytes = MemoryMarshal.AsBytes(entries);
        var read = 0;
        while (read < bytes.Length)
        {
            var got = RandomAccess.Read(handle, bytes[read..], HeaderBytes + (first * SumEntry.Bytes) + read);
            if (got == 0)
            {
                break;
            }

            read += got;
        }

        bytes[read..].Clear();
        FromLittleEndian(entries);
    }

    /// <summary>Opens the committed sums of the object at <paramref name="path"/> for reading; null if it has none.</summary>
    public static SafeFileHandle? OpenCommitted(ObjectPath path)
    {
        try
        {
            return ObjectFiles.OpenExisting(CommittedOf(path), FileAccess.Read);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    /// <summary>How many blocks <paramref name="handle"/>'s file has entry slots for (written or not).</summary>
    public static long EntryCount(SafeFileHandle handle) => Math.Max(0, (RandomAccess.GetLength(handle) - HeaderBytes) / SumEntry.Bytes);

    /// <summary>Reads entries from <paramref name="file"/>; a missing file reads as none everywhere.</summary>
    public static void Read(string file, long first, Span<SumEntry> entries)
    {
        try
        {
            using var handle = ObjectFiles.OpenExisting(file, FileAccess.Read);
            Read(handle, first, entries);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            entries.Clear();
        }
    }

    /// <summary>Writes <paramref name="entries"/> as blocks <paramref name="first"/> on.</summary>
    public static void Write(SafeFileHandle handle, long first, ReadOnlySpan<SumEntry> entries)
    {
        var copy = entries.ToArray();
        ToLittleEndian(copy);
        RandomAccess.Write(handle, MemoryMarshal.AsBytes(copy.AsSpan()), HeaderBytes + (first * SumEntry.Bytes));
    }

    /// <summary>Drops the entries of blocks <paramref name="blocks"/> and on.</summary>
    public static void Cut(SafeFileHandle handle, long blocks)
    {
        var length = HeaderBytes + (blocks * SumEntry.Bytes);
        if (RandomAccess.GetLength(handle) > length)
        {
            RandomAccess.SetLength(handle, length);
        }
    }

    /// <summary>The number of blocks of <paramref name="unit"/> bytes that <paramref name="bytes"/> bytes reach into.</summary>
    public static long BlocksOf(long bytes, int unit) => (bytes + unit - 1) / unit;

    private static void FromLittleEndian(Span<SumEntry> entries)
    {
        if (!BitConverter.IsLittleEndian)
        {
            for (var i = 0; i < entries.Length; i++)
            {
                entries[i] = new SumEntry(BinaryPrimitives.ReverseEndianness(entries[i].Sum), BinaryPrimitives.ReverseEndianness(entries[i].Tag));
            }
        }
    }

    private static void ToLittleEndian(Span<SumEntry> entries) => FromLittleEndian(entries);
}
