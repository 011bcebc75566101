using System.Buffers.Binary;

namespace Pfs.FileServer.Storage.Staging;

/// <summary>
/// An object's fencing marks. The floor is the newest writer epoch seen here: calls of older
/// writers are refused. The seal is the newest epoch settled here: its late writes are refused too.
/// The drop is the newest epoch whose staged writes were dropped here (its writer never committed, as
/// far as a newer caller could tell, or its lease ended): a commit of that epoch arriving later is
/// refused as data loss instead of passing for one already applied. They live in a file beside the
/// object (<c>&lt;object&gt;.epoch</c>: floor, seal, drop, little-endian) so that a restart forgets none.
/// </summary>
internal readonly record struct EpochMarks(ulong Floor, ulong Sealed, ulong Dropped = 0)
{
    private const string Suffix = ".epoch";
    private const int FileBytes = 24;

    /// <summary>The marks file of the object at <paramref name="path"/>.</summary>
    public static string FileOf(ObjectPath path) => path.File + Suffix;

    /// <summary>The marks on disk; zeros if there are none.</summary>
    public static EpochMarks Read(ObjectPath path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(FileOf(path));
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return default;
        }

        return bytes.Length switch
        {
            // A floor alone: the file as servers wrote it before writes were staged.
            8 => new(BinaryPrimitives.ReadUInt64LittleEndian(bytes), 0),
            // Floor and seal: the file as servers wrote it before drops were recorded.
            16 => new(BinaryPrimitives.ReadUInt64LittleEndian(bytes), BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(8))),
            FileBytes => new(BinaryPrimitives.ReadUInt64LittleEndian(bytes), BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(8)),
                BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(16))),
            _ => default,
        };
    }

    /// <summary>Replaces the marks on disk with these; a crash leaves the old ones or the new.</summary>
    public void Write(ObjectPath path)
    {
        Span<byte> bytes = stackalloc byte[FileBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, Floor);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes[8..], Sealed);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes[16..], Dropped);
        ObjectFiles.ReplaceAtomically(path.Directory, FileOf(path), bytes);
    }

    /// <summary>Removes the marks file, if any.</summary>
    public static void Delete(ObjectPath path) => ObjectFiles.Delete(FileOf(path));
}
