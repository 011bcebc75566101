using Pfs.Client.Transport;
using Pfs.Protocol.FileServer;

namespace Pfs.Client.Striping;

/// <summary>
/// Writes of files with parity. The unit is the stripe: for every stripe a write touches, the
/// stripe's other data blocks are read (from the servers, as this open sees them, decoding if need
/// be), parity is encoded afresh from all K, and the written data shards and all M parity shards
/// are staged (reconstruct-write: no old parity and no old-data delta are read). A sequential
/// writer fills whole stripes and reads nothing back. Writes of one stripe by one open never
/// overlap (<see cref="StripeLocks"/>).
/// </summary>
internal sealed partial class ErasureTransport
{
    /// <summary>Writes data blocks (each at most a block long), ordered by index without duplicates.</summary>
    public async Task WriteAsync(FileLayout layout, IReadOnlyList<(long Index, ReadOnlyMemory<byte> Bytes)> blocks, bool sync,
                                 CancellationToken cancellationToken)
    {
        var width = layout.Width;
        var byStripe = new SortedDictionary<long, ReadOnlyMemory<byte>?[]>();
        foreach (var (index, bytes) in blocks)
        {
            var stripe = ErasureMath.StripeOf(index, width);
            if (!byStripe.TryGetValue(stripe, out var data))
            {
                data = new ReadOnlyMemory<byte>?[width];
                byStripe[stripe] = data;
            }

            data[(int)(index % width)] = bytes;
        }

        // Batches bound the buffers a large write holds at once (its stripes and their parity).
        var batch = Math.Max(1, (int)Math.Min(int.MaxValue,
            Math.Max((long)options.MaxConcurrentCalls * options.MaxCallBytes, 2L * options.MaxCallBytes * layout.Positions) / ((long)layout.Positions * layout.BlockSize)));
        var all = byStripe.ToList();
        for (var at = 0; at < all.Count; at += batch)
        {
            var group = all.GetRange(at, Math.Min(batch, all.Count - at));
            var stripes = group.ConvertAll(pair => pair.Key);
            using var held = await layout.StripeLocks.AcquireAsync(stripes, cancellationToken).ConfigureAwait(false);
            await WriteStripesAsync(layout, stripes, group.ConvertAll(pair => pair.Value), sync, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Writes stripes the caller holds: <paramref name="data"/> has, per stripe, the new bytes of the data
    /// blocks written (null: unchanged, read from the servers). The caller holds their stripe locks.
    /// </summary>
    internal async Task WriteStripesAsync(FileLayout layout, List<long> stripes, List<ReadOnlyMemory<byte>?[]> data, bool sync,
                                          CancellationToken cancellationToken)
    {
        var width = layout.Width;
        var positions = layout.Positions;
        var blockSize = layout.BlockSize;
        var rented = new List<byte[]>();
        try
        {
            // The unchanged data blocks of partly written stripes.
            var unchanged = new List<long>();
            for (var s = 0; s < stripes.Count; s++)
            {
                for (var j = 0; j < width; j++)
                {
                    if (data[s][j] is null)
                    {
                        unchanged.Add((stripes[s] * width) + j);
                    }
                }
            }

            var old = new Dictionary<long, ReadOnlyMemory<byte>>(unchanged.Count);
            if (unchanged.Count > 0)
            {
                await ReadAsync(layout, unchanged, (call, replies) =>
                {
                    lock (old)
                    {
                        for (var run = 0; run < call.Runs.Count; run++)
                        {
                            var copy = Rent(blockSize, rented);
                            var bytes = replies[run].Span[..Math.Min(replies[run].Length, blockSize)];
                            bytes.CopyTo(copy);
                            copy.AsSpan(bytes.Length, blockSize - bytes.Length).Clear();
                            old[call.Runs[run].FirstBlock] = copy.AsMemory(0, blockSize);
                        }
                    }
                }, cancellationToken).ConfigureAwait(false);
            }

            // Per position, the shards it gets: the written data shards and every parity shard.
            var perPosition = new List<(long Stripe, ReadOnlyMemory<byte> Bytes)>[positions];
            for (var p = 0; p < positions; p++)
            {
                perPosition[p] = [];
            }

            var shardData = new ReadOnlyMemory<byte>[width];
            var parity = new Memory<byte>[layout.Parity];
            for (var s = 0; s < stripes.Count; s++)
            {
                var stripe = stripes[s];
                for (var j = 0; j < width; j++)
                {
                    if (data[s][j] is { } bytes)
                    {
                        // Always a copy: a cached block may be written to while its write-back is on the way,
                        // and the parity, the sums and the bytes sent must all be of the same bytes.
                        shardData[j] = Padded(bytes, blockSize, rented);
                        perPosition[ErasureMath.PositionOf(stripe, j, positions)].Add((stripe, shardData[j]));
                    }
                    else
                    {
                        shardData[j] = old[(stripe * width) + j];
                    }
                }

                for (var i = 0; i < parity.Length; i++)
                {
                    parity[i] = Rent(blockSize, rented).AsMemory(0, blockSize);
                    perPosition[ErasureMath.PositionOf(stripe, width + i, positions)].Add((stripe, parity[i]));
                }

                layout.Code!.Encode(shardData, parity);
            }

            var writes = new List<Task>(positions);
            for (var p = 0; p < positions; p++)
            {
                if (perPosition[p].Count > 0)
                {
                    writes.Add(WriteShardsAsync(layout, p, perPosition[p], sync, cancellationToken));
                }
            }

            await Task.WhenAll(writes).ConfigureAwait(false);
        }
        finally
        {
            ReturnAll(rented);
        }
    }

    /// <summary>Makes what this open staged durable on <paramref name="positions"/>; a server out of reach is missed.</summary>
    public Task SyncAsync(FileLayout layout, IEnumerable<int> positions, CancellationToken cancellationToken) =>
        Task.WhenAll(positions.Select(position => WriteShardsAsync(layout, position, [], sync: true, cancellationToken)));

    /// <summary>Presents this open's capability to every position (see <see cref="BlockTransport.FenceAsync"/>); up to M may be out of reach.</summary>
    public async Task FenceAsync(FileLayout layout, CancellationToken cancellationToken)
    {
        var fences = Enumerable.Range(0, layout.Positions).Select(async position =>
        {
            try
            {
                await SendAsync(layout, position, EmptyRequest(layout), 0, cancellationToken).ConfigureAwait(false);
                return true;
            }
            catch (Exception ex) when (IsErasure(ex))
            {
                return false;
            }
        }).ToList();
        var done = await Task.WhenAll(fences).ConfigureAwait(false);
        var missing = done.Count(ok => !ok);
        if (missing > layout.Parity)
        {
            throw new PfsException(PfsErrorCode.Unavailable, $"'{layout.Name}': {missing} of its {layout.Positions} file servers cannot be reached (at most {layout.Parity} may be)");
        }
    }

    /// <summary>
    /// Stages a cut of the file at <paramref name="length"/> bytes: every position's object is cut after the
    /// last whole stripe, and a partly kept last stripe is written again whole, its bytes past the cut as
    /// zeros and its parity encoded from that.
    /// </summary>
    public async Task TruncateAsync(FileLayout layout, long length, CancellationToken cancellationToken)
    {
        var width = layout.Width;
        var blockSize = layout.BlockSize;
        var stripeBytes = (long)width * blockSize;
        var stripe = length / stripeBytes;
        var kept = (int)(length % stripeBytes);
        // Stripes past the cut may read short from now on without being lost.
        layout.CutAt(length);
        using var held = await layout.StripeLocks.AcquireAsync([stripe], cancellationToken).ConfigureAwait(false);
        var last = new byte[kept > 0 ? stripeBytes : 0];
        if (kept > 0)
        {
            var blocks = Enumerable.Range(0, width).Select(j => (stripe * width) + j).ToList();
            await ReadAsync(layout, blocks, (call, replies) =>
            {
                for (var run = 0; run < call.Runs.Count; run++)
                {
                    var at = (int)(call.Runs[run].FirstBlock - (stripe * width)) * blockSize;
                    var bytes = replies[run].Span[..Math.Min(replies[run].Length, blockSize)];
                    bytes.CopyTo(last.AsSpan(at));
                }
            }, cancellationToken).ConfigureAwait(false);
            last.AsSpan(kept).Clear();
        }

        await Task.WhenAll(Enumerable.Range(0, layout.Positions).Select(position =>
            CutAsync(layout, position, stripe * blockSize, cancellationToken))).ConfigureAwait(false);
        if (kept > 0)
        {
            var data = new ReadOnlyMemory<byte>?[width];
            for (var j = 0; j < width; j++)
            {
                data[j] = last.AsMemory(j * blockSize, blockSize);
            }

            await WriteStripesAsync(layout, [stripe], [data], sync: false, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task CutAsync(FileLayout layout, int position, long length, CancellationToken cancellationToken)
    {
        if (!layout.IsUsable(position))
        {
            return;
        }

        try
        {
            var request = EmptyRequest(layout);
            request.Truncate = length;
            await SendAsync(layout, position, request, 0, cancellationToken).ConfigureAwait(false);
            layout.MarkWritten(position);
        }
        catch (Exception ex) when (IsErasure(ex) && !cancellationToken.IsCancellationRequested)
        {
            layout.Servers[position].MarkDown();
            Miss(layout, position, ex);
        }
    }

    private static ReadOnlyMemory<byte> Padded(ReadOnlyMemory<byte> bytes, int blockSize, List<byte[]> rented)
    {
        var copy = Rent(blockSize, rented);
        bytes.Span.CopyTo(copy);
        copy.AsSpan(bytes.Length, blockSize - bytes.Length).Clear();
        return copy.AsMemory(0, blockSize);
    }

    private static WriteBytesRequest EmptyRequest(FileLayout layout) => new() { Object = layout.ObjectId, Capability = layout.Capability };
}
