using Pfs.Client;
using Pfs.Fuse;

namespace Pfs.Mount;

/// <summary>The contract's errno for each Pfs error (CONTRACT.md, "Mount").</summary>
internal static class Errors
{
    public static int ToErrno(PfsErrorCode code) => code switch
    {
        PfsErrorCode.NotFound => Errno.ENOENT,
        PfsErrorCode.AlreadyExists => Errno.EEXIST,
        PfsErrorCode.NotADirectory => Errno.ENOTDIR,
        PfsErrorCode.IsADirectory => Errno.EISDIR,
        PfsErrorCode.DirectoryNotEmpty => Errno.ENOTEMPTY,
        PfsErrorCode.NoSpace => Errno.ENOSPC,
        PfsErrorCode.PermissionDenied => Errno.EACCES,
        PfsErrorCode.InvalidArgument => Errno.EINVAL,
        PfsErrorCode.WrongMode => Errno.EBADF,
        // Closed: the open is gone under us (lease lost, metadata server restarted).
        _ => Errno.EIO,
    };

    public static FuseException ToFuse(PfsException ex) => new(ToErrno(ex.Code), ex.Message);

    /// <summary>Runs a client call and turns its failure into the errno the kernel passes on.</summary>
    public static async ValueTask<T> Map<T>(Func<Task<T>> call)
    {
        try
        {
            return await call().ConfigureAwait(false);
        }
        catch (PfsException ex)
        {
            throw ToFuse(ex);
        }
    }

    /// <summary>Runs a client call and turns its failure into the errno the kernel passes on.</summary>
    public static async ValueTask Map(Func<Task> call)
    {
        try
        {
            await call().ConfigureAwait(false);
        }
        catch (PfsException ex)
        {
            throw ToFuse(ex);
        }
    }
}
