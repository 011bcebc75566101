using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Pfs.Cli.Output;

/// <summary>
/// Whether a local path is a regular file, without following a link and without opening it (opening
/// a FIFO would wait for a writer). .NET shows FIFOs, sockets and devices as ordinary files, so this
/// asks the kernel: statx(2), whose layout is the same on every Linux architecture.
/// </summary>
internal static partial class LocalFileType
{
    private const int AtFdCwd = -100;
    private const int AtSymlinkNoFollow = 0x100;
    private const uint StatxType = 0x1;
    private const int ModeOffset = 28;
    private const ushort TypeMask = 0xF000;
    private const ushort Regular = 0x8000;

    /// <summary>True for a regular file; also true where statx cannot answer (not Linux), which then trusts .NET.</summary>
    public static bool IsRegularFile(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            return true;
        }

        Span<byte> buffer = stackalloc byte[256];
        if (Statx(AtFdCwd, path, AtSymlinkNoFollow, StatxType, buffer) != 0)
        {
            throw new IOException($"cannot read '{path}': {Marshal.GetLastPInvokeErrorMessage()}");
        }

        return (BinaryPrimitives.ReadUInt16LittleEndian(buffer[ModeOffset..]) & TypeMask) == Regular;
    }

    [LibraryImport("libc", EntryPoint = "statx", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Statx(int directory, string path, int flags, uint mask, Span<byte> buffer);
}
