using Pfs.Client;
using Pfs.Fuse;

namespace Pfs.Mount;

/// <summary>Truncation of a Pfs Write open (O_TRUNC, ftruncate, truncate).</summary>
internal static class Truncation
{
    public static async Task SetLengthAsync(PfsFile file, long length, CancellationToken cancellationToken)
    {
        var info = await file.StatAsync(cancellationToken).ConfigureAwait(false);
        if (info.Size == length)
        {
            return;
        }

        // PfsFile.SetLengthAsync is not in this client yet.
        throw new FuseException(Errno.EOPNOTSUPP, $"truncating '{file.Name}' to {length} bytes is not supported yet");
    }
}
