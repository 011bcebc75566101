using Pfs.Client.Striping;

namespace Pfs.Client.Caching;

/// <summary>A writer's change of its file's length: the cache cut first, then a staged cut on every server of the stripe.</summary>
internal sealed partial class BlockWriter
{
    /// <summary>
    /// Cuts this file's cached blocks at <paramref name="length"/> (see <see cref="BlockCache.TryTruncate"/>)
    /// once nothing of it is in flight: this open's write-behind has landed and no eviction's write-back of
    /// its blocks runs. A failed write-behind is thrown first, having changed nothing, as for a write.
    /// </summary>
    public async Task CutCachedAsync(long length, CancellationToken cancellationToken)
    {
        await WaitAllAsync().ConfigureAwait(false);
        ThrowIfFailed();
        while (!_cache.TryTruncate(_layout.FileId, length, _layout.BlockSize))
        {
            await _cache.WaitForWriteBacksAsync(_layout.FileId).WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Stages on every server of the stripe a cut of its stripe object at that server's share of
    /// <paramref name="length"/> bytes of the file. Sending it again is harmless until the next write.
    /// </summary>
    public Task SendCutAsync(long length, CancellationToken cancellationToken) => _layout.Parity > 0
        ? _transport.Erasure.TruncateAsync(_layout, length, cancellationToken)
        : _transport.TruncateAsync(_layout, LocalLengths(length, _layout.Width, _layout.BlockSize), cancellationToken);

    /// <summary>How many bytes of a file of <paramref name="length"/> bytes each server's stripe object holds.</summary>
    internal static long[] LocalLengths(long length, int width, int blockSize)
    {
        var whole = length / blockSize;
        var partial = length % blockSize;
        var lengths = new long[width];
        for (var server = 0; server < width; server++)
        {
            // Whole blocks i < whole with i % width == server, back to back from local offset 0.
            var blocks = (whole / width) + (server < whole % width ? 1 : 0);
            lengths[server] = blocks * blockSize;
        }

        if (partial > 0)
        {
            // The partial block `whole` lies right after that server's whole blocks.
            var server = StripeMath.ServerOf(whole, width);
            lengths[server] = StripeMath.LocalOffset(whole, width, blockSize) + partial;
        }

        return lengths;
    }
}
