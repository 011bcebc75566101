using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Pfs.Fuse.Session;

namespace Pfs.Fuse.Native;

/// <summary>An open /dev/fuse: blocking read(2) of one request, write(2) of one reply.</summary>
internal sealed unsafe class DeviceChannel : FuseChannel
{
    private readonly SafeFileHandle _handle;

    public DeviceChannel(int fd)
    {
        _handle = new SafeFileHandle(fd, ownsHandle: true);
    }

    public override int Read(Span<byte> buffer)
    {
        fixed (byte* pointer = buffer)
        {
            var n = Libc.Read(_handle, pointer, buffer.Length);
            return n >= 0 ? (int)n : -Marshal.GetLastPInvokeError();
        }
    }

    public override int Write(ReadOnlySpan<byte> message)
    {
        fixed (byte* pointer = message)
        {
            var n = Libc.Write(_handle, pointer, message.Length);
            if (n < 0)
                return Marshal.GetLastPInvokeError();
            // The device takes a message whole or not at all.
            return n == message.Length ? 0 : Errno.EIO;
        }
    }

    public override void Dispose() => _handle.Dispose();
}
