using System.Runtime.InteropServices;

namespace Pfs.Fuse.Protocol;

/// <summary>struct fuse_notify_inval_inode_out.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NotifyInvalInodeOut
{
    public ulong Ino;
    public long Off;
    public long Len;
}

/// <summary>struct fuse_notify_inval_entry_out, followed by the name and a NUL.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NotifyInvalEntryOut
{
    public ulong Parent;
    public uint NameLen;
    public uint Flags;
}

/// <summary>struct fuse_notify_delete_out, followed by the name and a NUL.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NotifyDeleteOut
{
    public ulong Parent;
    public ulong Child;
    public uint NameLen;
    public uint Padding;
}
