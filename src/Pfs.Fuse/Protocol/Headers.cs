using System.Runtime.InteropServices;

namespace Pfs.Fuse.Protocol;

// Wire structs mirror include/uapi/linux/fuse.h field for field: fixed-width integers only, laid
// out sequentially with the C alignment (every struct is padded to 8 bytes by the header itself).
// Their sizes are asserted in the unit tests.

/// <summary>struct fuse_in_header (40 bytes): the head of every request the kernel sends.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct InHeader
{
    public const int WireSize = 40;

    public uint Len;
    public uint Opcode;
    public ulong Unique;
    public ulong NodeId;
    public uint Uid;
    public uint Gid;
    public uint Pid;
    /// <summary>Length of the request extensions at the end of the request, in 8-byte units (7.38+).</summary>
    public ushort TotalExtLen;
    public ushort Padding;
}

/// <summary>struct fuse_out_header (16 bytes): the head of every reply and notification.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct OutHeader
{
    public const int WireSize = 16;

    public uint Len;
    /// <summary>A negative errno, 0 for success, or the notify code of a notification.</summary>
    public int Error;
    public ulong Unique;
}
