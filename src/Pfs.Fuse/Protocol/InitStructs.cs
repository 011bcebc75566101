using System.Runtime.InteropServices;

namespace Pfs.Fuse.Protocol;

/// <summary>struct fuse_init_in (64 bytes since 7.36; older kernels send the first 16).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct InitIn
{
    public const int WireSize = 64;

    public uint Major;
    public uint Minor;
    public uint MaxReadahead;
    public uint Flags;
    public uint Flags2;
    public fixed uint Unused[11];
}

/// <summary>struct fuse_init_out (64 bytes since 7.23).</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct InitOut
{
    public const int WireSize = 64;

    public uint Major;
    public uint Minor;
    public uint MaxReadahead;
    public uint Flags;
    public ushort MaxBackground;
    public ushort CongestionThreshold;
    public uint MaxWrite;
    public uint TimeGran;
    public ushort MaxPages;
    public ushort MapAlignment;
    public uint Flags2;
    public uint MaxStackDepth;
    public ushort RequestTimeout;
    public ushort Unused0;
    public fixed uint Unused[5];
}

/// <summary>struct fuse_interrupt_in.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct InterruptIn
{
    public ulong Unique;
}
