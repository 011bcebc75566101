namespace Pfs.Fuse;

/// <summary>The file-type bits of a mode (<c>S_IFMT</c> and friends) and helpers over them.</summary>
public static class FuseMode
{
    /// <summary>The mask of the file-type bits.</summary>
    public const uint TypeMask = 0xF000;
    /// <summary>A regular file.</summary>
    public const uint Regular = 0x8000;
    /// <summary>A directory.</summary>
    public const uint Directory = 0x4000;
    /// <summary>A symbolic link.</summary>
    public const uint Symlink = 0xA000;
    /// <summary>A named pipe.</summary>
    public const uint Fifo = 0x1000;
    /// <summary>A character device.</summary>
    public const uint CharDevice = 0x2000;
    /// <summary>A block device.</summary>
    public const uint BlockDevice = 0x6000;
    /// <summary>A socket.</summary>
    public const uint Socket = 0xC000;

    /// <summary>The permission bits (rwx for user, group, other, plus setuid, setgid and sticky).</summary>
    public const uint PermissionMask = 0xFFF;

    /// <summary>True when <paramref name="mode"/> is a directory.</summary>
    public static bool IsDirectory(uint mode) => (mode & TypeMask) == Directory;

    /// <summary>True when <paramref name="mode"/> is a regular file.</summary>
    public static bool IsRegular(uint mode) => (mode & TypeMask) == Regular;

    /// <summary>True when <paramref name="mode"/> is a symbolic link.</summary>
    public static bool IsSymlink(uint mode) => (mode & TypeMask) == Symlink;

    /// <summary>The DT_* type of a directory entry for this mode.</summary>
    public static uint DirentType(uint mode) => (mode & TypeMask) >> 12;
}
