using System.Runtime.InteropServices;

namespace Pfs.Fuse;

/// <summary>
/// Thrown by a <see cref="FuseFileSystem"/> handler to answer a request with an errno; the
/// binding sends it to the kernel, which returns it from the system call.
/// </summary>
public sealed class FuseException : IOException
{
    /// <summary>Creates the exception for a positive errno (see <see cref="Fuse.Errno"/>).</summary>
    public FuseException(int errno)
        : this(errno, $"errno {errno} ({Marshal.GetPInvokeErrorMessage(errno)})")
    {
    }

    /// <summary>Creates the exception for a positive errno with a message for logs.</summary>
    public FuseException(int errno, string message)
        : base(message)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(errno);
        Errno = errno;
    }

    /// <summary>The positive errno sent to the kernel.</summary>
    public int Errno { get; }
}
