using Pfs.Fuse.Protocol;

namespace Pfs.Fuse;

/// <summary>The changes a SETATTR asks for (chmod, chown, truncate, utimes); only the fields named in <see cref="Valid"/> are meaningful.</summary>
public readonly struct FuseSetAttr
{
    internal FuseSetAttr(in SetAttrIn wire)
    {
        Valid = (FuseSetAttrFields)wire.Valid;
        Handle = wire.Fh;
        Size = wire.Size;
        Mode = wire.Mode;
        Uid = wire.Uid;
        Gid = wire.Gid;
        AccessTime = new FuseTime((long)wire.Atime, wire.AtimeNsec);
        ModifyTime = new FuseTime((long)wire.Mtime, wire.MtimeNsec);
        ChangeTime = new FuseTime((long)wire.Ctime, wire.CtimeNsec);
    }

    /// <summary>Creates a change set (for tests and for callers that drive a file system directly).</summary>
    public FuseSetAttr(FuseSetAttrFields valid, uint mode = 0, uint uid = 0, uint gid = 0, ulong size = 0,
        FuseTime accessTime = default, FuseTime modifyTime = default, ulong handle = 0)
    {
        Valid = valid;
        Mode = mode;
        Uid = uid;
        Gid = gid;
        Size = size;
        AccessTime = accessTime;
        ModifyTime = modifyTime;
        Handle = handle;
    }

    /// <summary>Which fields to change.</summary>
    public FuseSetAttrFields Valid { get; }

    /// <summary>The file handle when <see cref="FuseSetAttrFields.Handle"/> is set (ftruncate, futimens on an open file).</summary>
    public ulong Handle { get; }

    /// <summary>The new size.</summary>
    public ulong Size { get; }

    /// <summary>The new mode (permission bits; the type bits are unchanged).</summary>
    public uint Mode { get; }

    /// <summary>The new owner.</summary>
    public uint Uid { get; }

    /// <summary>The new group.</summary>
    public uint Gid { get; }

    /// <summary>The new access time, unless <see cref="FuseSetAttrFields.AccessTimeNow"/> asks for the current time.</summary>
    public FuseTime AccessTime { get; }

    /// <summary>The new modification time, unless <see cref="FuseSetAttrFields.ModifyTimeNow"/> asks for the current time.</summary>
    public FuseTime ModifyTime { get; }

    /// <summary>The new change time.</summary>
    public FuseTime ChangeTime { get; }

    /// <summary>True when <paramref name="field"/> is among <see cref="Valid"/>.</summary>
    public bool Has(FuseSetAttrFields field) => (Valid & field) != 0;
}

/// <summary>FATTR_* bits: which fields of a SETATTR are valid.</summary>
[Flags]
public enum FuseSetAttrFields : uint
{
    /// <summary>Nothing.</summary>
    None = 0,
    /// <summary>FATTR_MODE.</summary>
    Mode = 1 << 0,
    /// <summary>FATTR_UID.</summary>
    Uid = 1 << 1,
    /// <summary>FATTR_GID.</summary>
    Gid = 1 << 2,
    /// <summary>FATTR_SIZE.</summary>
    Size = 1 << 3,
    /// <summary>FATTR_ATIME.</summary>
    AccessTime = 1 << 4,
    /// <summary>FATTR_MTIME.</summary>
    ModifyTime = 1 << 5,
    /// <summary>FATTR_FH: the request came through an open file.</summary>
    Handle = 1 << 6,
    /// <summary>FATTR_ATIME_NOW: set the access time to the current time.</summary>
    AccessTimeNow = 1 << 7,
    /// <summary>FATTR_MTIME_NOW: set the modification time to the current time.</summary>
    ModifyTimeNow = 1 << 8,
    /// <summary>FATTR_LOCKOWNER.</summary>
    LockOwner = 1 << 9,
    /// <summary>FATTR_CTIME.</summary>
    ChangeTime = 1 << 10,
    /// <summary>FATTR_KILL_SUIDGID.</summary>
    KillSuidGid = 1 << 11,
}
