using System.Runtime.InteropServices;

namespace Pfs.Fuse.Protocol;

/// <summary>
/// struct fuse_dirent (24 bytes), followed by the name (not NUL-terminated) and padding to a
/// multiple of 8. READDIRPLUS entries are a <see cref="EntryOut"/> followed by one of these.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
internal struct Dirent
{
    public const int WireSize = 24;

    public ulong Ino;
    /// <summary>The offset cookie of the entry after this one.</summary>
    public ulong Off;
    public uint NameLen;
    /// <summary>The DT_* type: the S_IFMT bits of the mode shifted right by 12.</summary>
    public uint Type;

    /// <summary>FUSE_DIRENT_ALIGN: a record is padded to 8 bytes.</summary>
    public static int Align(int length) => (length + 7) & ~7;
}
