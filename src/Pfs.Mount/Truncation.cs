using Pfs.Client;

namespace Pfs.Mount;

/// <summary>Truncation of a Pfs Write open (O_TRUNC, ftruncate, truncate): published at the open's commit, like writes.</summary>
internal static class Truncation
{
    public static async Task SetLengthAsync(PfsFile file, long length, CancellationToken cancellationToken) =>
        await file.SetLengthAsync(length, cancellationToken).ConfigureAwait(false);
}
