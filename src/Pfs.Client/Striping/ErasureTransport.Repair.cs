using Pfs.Client.Transport;
using Pfs.Protocol.FileServer;

namespace Pfs.Client.Striping;

/// <summary>Repair: the shards of stale positions rebuilt from the others and staged afresh.</summary>
internal sealed partial class ErasureTransport
{
    /// <summary>
    /// Rebuilds every shard of <paramref name="stale"/> for the first <paramref name="stripeCount"/> stripes
    /// from K good shards each, and stages them: each stale position's object is cut after the last stripe and
    /// rewritten whole, then synced, and marked repaired in <paramref name="layout"/> (its close commits it and
    /// reports it). The caller holds the file's write lock. Returns the bytes rebuilt.
    /// </summary>
    public async Task<long> RebuildAsync(FileLayout layout, IReadOnlyList<int> stale, long stripeCount, Action<long>? onBytes,
                                         CancellationToken cancellationToken)
    {
        var positions = layout.Positions;
        var blockSize = layout.BlockSize;
        foreach (var position in stale)
        {
            var cut = new WriteBytesRequest { Object = layout.ObjectId, Capability = layout.Capability, Truncate = stripeCount * blockSize };
            await SendAsync(layout, position, cut, 0, cancellationToken, waitForReady: true).ConfigureAwait(false);
        }

        var batch = Math.Max(1, (int)Math.Min(int.MaxValue,
            Math.Max((long)options.MaxConcurrentCalls * options.MaxCallBytes, 2L * options.MaxCallBytes * positions) / ((long)positions * blockSize)));
        long rebuilt = 0;
        for (long first = 0; first < stripeCount; first += batch)
        {
            var stripes = new List<long>();
            for (var s = first; s < Math.Min(stripeCount, first + batch); s++)
            {
                stripes.Add(s);
            }

            using var shards = await ReadStripesAsync(layout, stripes, excluded: -1, cancellationToken).ConfigureAwait(false);
            var perPosition = stale.ToDictionary(position => position, _ => new List<(long Stripe, ReadOnlyMemory<byte> Bytes)>());
            for (var s = 0; s < stripes.Count; s++)
            {
                shards.DecodeAll(s);
                foreach (var position in stale)
                {
                    perPosition[position].Add((stripes[s], shards.Buffer(s, ErasureMath.ShardAt(stripes[s], position, positions))));
                }
            }

            await Task.WhenAll(stale.Select(position => WriteAllAsync(layout, position, perPosition[position], cancellationToken))).ConfigureAwait(false);
            var bytes = (long)stripes.Count * stale.Count * blockSize;
            rebuilt += bytes;
            onBytes?.Invoke(bytes);
        }

        foreach (var position in stale)
        {
            await SendAsync(layout, position, new WriteBytesRequest { Object = layout.ObjectId, Capability = layout.Capability, Sync = true }, 0, cancellationToken,
                waitForReady: true)
                .ConfigureAwait(false);
            layout.MarkRepaired(position);
        }

        return rebuilt;
    }

    // A repair's writes to a stale position: every one must land (no skipping), or the repair of the file fails.
    private async Task WriteAllAsync(FileLayout layout, int position, List<(long Stripe, ReadOnlyMemory<byte> Bytes)> shards, CancellationToken cancellationToken)
    {
        var perCall = Math.Max(1, options.MaxCallBytes / layout.BlockSize);
        var calls = new List<Task>();
        for (var at = 0; at < shards.Count; at += perCall)
        {
            // Rebuilt shards carry their sums like any others, so they stay checked by reads and the scrub.
            var checksums = BlockTransport.Checksums;
            var request = new WriteBytesRequest { Object = layout.ObjectId, Capability = layout.Capability, ChecksumBlock = checksums ? layout.BlockSize : 0 };
            long total = 0;
            for (var i = at; i < Math.Min(shards.Count, at + perCall); i++)
            {
                var segment = new WriteSegment
                {
                    Offset = shards[i].Stripe * layout.BlockSize,
                    Data = Google.Protobuf.UnsafeByteOperations.UnsafeWrap(shards[i].Bytes),
                };
                if (checksums)
                {
                    segment.Sums.Add(Pfs.Protocol.BlockChecksum.Compute(shards[i].Bytes.Span, layout.BlockSize));
                }

                request.Segments.Add(segment);
                total += shards[i].Bytes.Length;
            }

            calls.Add(SendAsync(layout, position, request, total, cancellationToken, waitForReady: true));
        }

        await Task.WhenAll(calls).ConfigureAwait(false);
    }
}
