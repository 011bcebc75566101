using System.Runtime.InteropServices;

namespace Pfs.Fuse;

/// <summary>
/// The attributes of an inode as the kernel receives them: struct fuse_attr of
/// <c>include/uapi/linux/fuse.h</c>, 88 bytes of fixed-width fields (no <c>struct stat</c> ABI).
/// A mutable value type because it is filled on the hot path of every GETATTR, LOOKUP and
/// READDIRPLUS reply.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public struct FuseAttr
{
    /// <summary>The size of the struct on the wire.</summary>
    public const int WireSize = 88;

    /// <summary>The inode number shown in <c>st_ino</c>.</summary>
    public ulong Ino;
    /// <summary>The file size in bytes.</summary>
    public ulong Size;
    /// <summary>The number of 512-byte blocks allocated.</summary>
    public ulong Blocks;
    /// <summary>Last access, seconds since the Unix epoch.</summary>
    public ulong Atime;
    /// <summary>Last modification, seconds since the Unix epoch.</summary>
    public ulong Mtime;
    /// <summary>Last status change, seconds since the Unix epoch.</summary>
    public ulong Ctime;
    /// <summary>Nanoseconds of <see cref="Atime"/>.</summary>
    public uint AtimeNsec;
    /// <summary>Nanoseconds of <see cref="Mtime"/>.</summary>
    public uint MtimeNsec;
    /// <summary>Nanoseconds of <see cref="Ctime"/>.</summary>
    public uint CtimeNsec;
    /// <summary>The file type and permission bits (<see cref="FuseMode"/>).</summary>
    public uint Mode;
    /// <summary>The number of hard links.</summary>
    public uint Nlink;
    /// <summary>The owner.</summary>
    public uint Uid;
    /// <summary>The group.</summary>
    public uint Gid;
    /// <summary>The device number of a device node.</summary>
    public uint Rdev;
    /// <summary>The preferred I/O size shown in <c>st_blksize</c>; 0 lets the kernel choose.</summary>
    public uint Blksize;
    /// <summary>FUSE_ATTR_* flags (submount, DAX); 0 for an ordinary inode.</summary>
    public uint Flags;

    /// <summary>Last access as a point in time.</summary>
    public FuseTime AccessTime
    {
        readonly get => new((long)Atime, AtimeNsec);
        set { Atime = (ulong)value.Seconds; AtimeNsec = value.Nanoseconds; }
    }

    /// <summary>Last modification as a point in time.</summary>
    public FuseTime ModifyTime
    {
        readonly get => new((long)Mtime, MtimeNsec);
        set { Mtime = (ulong)value.Seconds; MtimeNsec = value.Nanoseconds; }
    }

    /// <summary>Last status change as a point in time.</summary>
    public FuseTime ChangeTime
    {
        readonly get => new((long)Ctime, CtimeNsec);
        set { Ctime = (ulong)value.Seconds; CtimeNsec = value.Nanoseconds; }
    }
}
