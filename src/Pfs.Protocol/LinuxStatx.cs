using System.Runtime.InteropServices;

namespace Pfs.Protocol;

/// <summary>
/// statx(2) on Linux, for what .NET does not show of a path: its file type without following a link (a FIFO or a
/// socket looks like a plain file to .NET) and the device number of its file system. struct statx has the same
/// layout on every Linux architecture, so fields are read at fixed offsets (native byte order).
/// </summary>
public static partial class LinuxStatx
{
    /// <summary>Bytes of struct statx (with its spare fields).</summary>
    public const int Size = 256;

    /// <summary>stx_mode: a ushort.</summary>
    public const int ModeOffset = 28;

    /// <summary>stx_dev_major and stx_dev_minor: uints.</summary>
    public const int DevMajorOffset = 136;

    /// <summary>See <see cref="DevMajorOffset"/>.</summary>
    public const int DevMinorOffset = 140;

    /// <summary>STATX_TYPE: the file type bits of stx_mode.</summary>
    public const uint TypeMask = 0x1;

    /// <summary>STATX_BASIC_STATS.</summary>
    public const uint BasicStats = 0x7ff;

    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;

    /// <summary>
    /// Fills <paramref name="buffer"/> (at least <see cref="Size"/> bytes) for <paramref name="path"/> (relative to the
    /// working directory); false on failure, with the error in <see cref="Marshal.GetLastPInvokeError"/>.
    /// </summary>
    public static bool TryRead(string path, bool followLinks, uint mask, Span<byte> buffer)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(buffer.Length, Size);
        return Statx(AtFdCwd, path, followLinks ? 0 : AtSymlinkNoFollow, mask, buffer) == 0;
    }

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Statx(int directory, string path, int flags, uint mask, Span<byte> buffer);
}
