using System.Runtime.InteropServices;

namespace Pfs.Fuse.Protocol;

/// <summary>struct fuse_entry_out (128 bytes): the reply to LOOKUP, MKNOD, MKDIR, SYMLINK, LINK and part of CREATE.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct EntryOut
{
    public const int WireSize = 128;

    public ulong NodeId;
    public ulong Generation;
    public ulong EntryValid;
    public ulong AttrValid;
    public uint EntryValidNsec;
    public uint AttrValidNsec;
    public FuseAttr Attr;
}

/// <summary>struct fuse_attr_out (104 bytes): the reply to GETATTR and SETATTR.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct AttrOut
{
    public const int WireSize = 104;

    public ulong AttrValid;
    public uint AttrValidNsec;
    public uint Dummy;
    public FuseAttr Attr;
}

/// <summary>struct fuse_forget_in.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct ForgetIn
{
    public ulong NLookup;
}

/// <summary>struct fuse_forget_one: one element of a BATCH_FORGET.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct ForgetOne
{
    public ulong NodeId;
    public ulong NLookup;
}

/// <summary>struct fuse_batch_forget_in, followed by <see cref="Count"/> <see cref="ForgetOne"/>.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct BatchForgetIn
{
    public uint Count;
    public uint Dummy;
}

/// <summary>struct fuse_getattr_in.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct GetAttrIn
{
    /// <summary>FUSE_GETATTR_FH: <see cref="Fh"/> is valid.</summary>
    public const uint FlagFh = 1;

    public uint GetAttrFlags;
    public uint Dummy;
    public ulong Fh;
}

/// <summary>struct fuse_setattr_in (88 bytes).</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct SetAttrIn
{
    public const int WireSize = 88;

    public uint Valid;
    public uint Padding;
    public ulong Fh;
    public ulong Size;
    public ulong LockOwner;
    public ulong Atime;
    public ulong Mtime;
    public ulong Ctime;
    public uint AtimeNsec;
    public uint MtimeNsec;
    public uint CtimeNsec;
    public uint Mode;
    public uint Unused4;
    public uint Uid;
    public uint Gid;
    public uint Unused5;
}

/// <summary>struct fuse_mknod_in (16 bytes), followed by the name.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct MknodIn
{
    public uint Mode;
    public uint Rdev;
    public uint Umask;
    public uint Padding;
}

/// <summary>struct fuse_mkdir_in, followed by the name.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct MkdirIn
{
    public uint Mode;
    public uint Umask;
}

/// <summary>struct fuse_rename_in, followed by the old and the new name.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct RenameIn
{
    public ulong NewDir;
}

/// <summary>struct fuse_rename2_in, followed by the old and the new name.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct Rename2In
{
    public ulong NewDir;
    public uint Flags;
    public uint Padding;
}

/// <summary>struct fuse_link_in, followed by the new name.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct LinkIn
{
    public ulong OldNodeId;
}

/// <summary>struct fuse_access_in.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct AccessIn
{
    public uint Mask;
    public uint Padding;
}

/// <summary>struct fuse_statfs_out (80 bytes): struct fuse_kstatfs.</summary>
[StructLayout(LayoutKind.Sequential)]
internal unsafe struct StatFsOut
{
    public const int WireSize = 80;

    public ulong Blocks;
    public ulong Bfree;
    public ulong Bavail;
    public ulong Files;
    public ulong Ffree;
    public uint Bsize;
    public uint NameLen;
    public uint Frsize;
    public uint Padding;
    public fixed uint Spare[6];
}

/// <summary>struct fuse_getxattr_in (GETXATTR and LISTXATTR), GETXATTR followed by the name.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct GetXattrIn
{
    public uint Size;
    public uint Padding;
}

/// <summary>struct fuse_getxattr_out: the size of the value when the kernel asked with size 0.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct GetXattrOut
{
    public uint Size;
    public uint Padding;
}
