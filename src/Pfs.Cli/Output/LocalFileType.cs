using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Pfs.Protocol;

namespace Pfs.Cli.Output;

/// <summary>
/// Whether a local path is a regular file, without following a link and without opening it (opening
/// a FIFO would wait for a writer). .NET shows FIFOs, sockets and devices as ordinary files, so this
/// asks the kernel: statx(2), whose layout is the same on every Linux architecture.
/// </summary>
internal static class LocalFileType
{
    private const ushort TypeMask = 0xF000;
    private const ushort Regular = 0x8000;

    /// <summary>True for a regular file; also true where statx cannot answer (not Linux), which then trusts .NET.</summary>
    public static bool IsRegularFile(string path)
    {
        if (!OperatingSystem.IsLinux())
        {
            return true;
        }

        Span<byte> buffer = stackalloc byte[LinuxStatx.Size];
        if (!LinuxStatx.TryRead(path, followLinks: false, LinuxStatx.TypeMask, buffer))
        {
            throw new IOException($"cannot read '{path}': {Marshal.GetLastPInvokeErrorMessage()}");
        }

        return (BinaryPrimitives.ReadUInt16LittleEndian(buffer[LinuxStatx.ModeOffset..]) & TypeMask) == Regular;
    }
}
