namespace Pfs.Fuse;

/// <summary>The Linux errno values a file system typically answers with (positive, as in <c>errno.h</c>).</summary>
public static class Errno
{
    /// <summary>Operation not permitted.</summary>
    public const int EPERM = 1;
    /// <summary>No such file or directory.</summary>
    public const int ENOENT = 2;
    /// <summary>Interrupted system call: the answer to a request the kernel interrupted.</summary>
    public const int EINTR = 4;
    /// <summary>Input/output error.</summary>
    public const int EIO = 5;
    /// <summary>Bad file descriptor (an unknown file handle).</summary>
    public const int EBADF = 9;
    /// <summary>Try again.</summary>
    public const int EAGAIN = 11;
    /// <summary>Out of memory.</summary>
    public const int ENOMEM = 12;
    /// <summary>Permission denied.</summary>
    public const int EACCES = 13;
    /// <summary>Device or resource busy.</summary>
    public const int EBUSY = 16;
    /// <summary>File exists.</summary>
    public const int EEXIST = 17;
    /// <summary>Cross-device link.</summary>
    public const int EXDEV = 18;
    /// <summary>No such device: read from /dev/fuse after the session ended.</summary>
    public const int ENODEV = 19;
    /// <summary>Not a directory.</summary>
    public const int ENOTDIR = 20;
    /// <summary>Is a directory.</summary>
    public const int EISDIR = 21;
    /// <summary>Invalid argument.</summary>
    public const int EINVAL = 22;
    /// <summary>File too large.</summary>
    public const int EFBIG = 27;
    /// <summary>No space left on device.</summary>
    public const int ENOSPC = 28;
    /// <summary>Read-only file system.</summary>
    public const int EROFS = 30;
    /// <summary>Too many links.</summary>
    public const int EMLINK = 31;
    /// <summary>Result too large (a buffer too small for an extended attribute).</summary>
    public const int ERANGE = 34;
    /// <summary>Resource deadlock avoided (an F_SETLKW that would wait for itself).</summary>
    public const int EDEADLK = 35;
    /// <summary>File name too long.</summary>
    public const int ENAMETOOLONG = 36;
    /// <summary>Function not implemented: the kernel remembers it for most operations.</summary>
    public const int ENOSYS = 38;
    /// <summary>Directory not empty.</summary>
    public const int ENOTEMPTY = 39;
    /// <summary>No data available (no such extended attribute).</summary>
    public const int ENODATA = 61;
    /// <summary>Protocol error (an INIT this binding cannot speak).</summary>
    public const int EPROTO = 71;
    /// <summary>Value too large for defined data type.</summary>
    public const int EOVERFLOW = 75;
    /// <summary>Operation not supported.</summary>
    public const int EOPNOTSUPP = 95;
    /// <summary>
    /// Connection aborted: read from /dev/fuse when the session ended while that read was taking a
    /// request, or after an abort through /sys/fs/fuse/connections.
    /// </summary>
    public const int ECONNABORTED = 103;
    /// <summary>Transport endpoint is not connected (a dead mount).</summary>
    public const int ENOTCONN = 107;
    /// <summary>Connection timed out.</summary>
    public const int ETIMEDOUT = 110;
    /// <summary>Stale file handle.</summary>
    public const int ESTALE = 116;
}
