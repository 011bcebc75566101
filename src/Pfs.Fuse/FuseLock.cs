namespace Pfs.Fuse;

/// <summary>The kind of an advisory lock (struct flock's l_type on Linux).</summary>
public enum FuseLockType : uint
{
    /// <summary>F_RDLCK (flock's LOCK_SH).</summary>
    Read = 0,

    /// <summary>F_WRLCK (flock's LOCK_EX).</summary>
    Write = 1,

    /// <summary>F_UNLCK (flock's LOCK_UN); in a GETLK answer: nothing is in the way.</summary>
    Unlock = 2,
}

/// <summary>
/// An advisory lock as GETLK, SETLK and SETLKW carry it (struct fuse_file_lock): bytes <see cref="Start"/> to
/// <see cref="End"/>, both included (<see cref="ToEndOfFile"/> reaches the end of the file, however far it grows), and
/// the process that holds or asks for it.
/// </summary>
public readonly record struct FuseLock(ulong Start, ulong End, FuseLockType Type, uint Pid)
{
    /// <summary>The kernel's OFFSET_MAX: the end of a lock that reaches the end of the file. Ends past it are answered as it.</summary>
    public const ulong ToEndOfFile = long.MaxValue;

    /// <summary>The answer to a GETLK that found nothing in the way.</summary>
    public static FuseLock None => new(0, 0, FuseLockType.Unlock, 0);
}
