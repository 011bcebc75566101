namespace Pfs.Fuse;

/// <summary>A mount that could not be made, with a one-line reason (missing /dev/fuse, a bad mountpoint, mount(2) failing).</summary>
public sealed class FuseMountException : IOException
{
    /// <summary>Creates the exception with its one-line reason.</summary>
    public FuseMountException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its one-line reason and cause.</summary>
    public FuseMountException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
