using System.Buffers;
using System.Globalization;
using Google.Protobuf;
using Pfs.Client.Diagnostics;
using Pfs.Client.Striping;
using Pfs.Protocol;
using Pfs.Protocol.FileServer;

namespace Pfs.Client.Transport;

/// <summary>
/// Moves blocks between the client and the file servers: one call per server per run of blocks
/// that lie back to back there, every call in flight at once (up to a limit).
/// </summary>
internal sealed partial class BlockTransport(PfsClientOptions options)
{
    private readonly ErasureTransport _erasure = new(options);

    /// <summary>The stripe-level transfers of files with parity.</summary>
    public ErasureTransport Erasure => _erasure;

    /// <summary>
    /// End-to-end checksums on (the default): every block written carries its sum, and every block read
    /// is checked (see <see cref="BlockChecksum"/>). Off only to measure what they cost
    /// (<c>PFS_CHECKSUMS=0</c> in the environment); a file server still reads blocks written either way.
    /// </summary>
    internal static bool Checksums { get; set; } = Environment.GetEnvironmentVariable("PFS_CHECKSUMS") != "0";

    /// <summary>
    /// Reads whole blocks. <paramref name="onCall"/> gets each call's runs and their bytes as
    /// soon as that call returns; it runs concurrently for different calls. A block's bytes may
    /// be shorter than a block (the server has less; the rest reads as zeros). The bytes are
    /// pooled and valid only until <paramref name="onCall"/> returns: copy what must stay.
    /// </summary>
    public async Task ReadAsync(FileLayout layout, IReadOnlyList<long> blocks,
                                Action<ServerCall, IReadOnlyList<ReadOnlyMemory<byte>>> onCall, CancellationToken cancellationToken)
    {
        if (blocks.Count == 0)
        {
            return;
        }

        if (layout.Parity > 0)
        {
            await _erasure.ReadAsync(layout, blocks, onCall, cancellationToken).ConfigureAwait(false);
            return;
        }

        if (layout.UnusableCount > 0 && blocks.FirstOrDefault(block => !layout.IsUsable((int)(block % layout.Width)), -1) is var lost and >= 0)
        {
            // Without parity a stale position is one whose server lost its blocks (it came back without its data, or it
            // dropped what a committed writer staged there): nothing can rebuild them.
            throw new PfsException(PfsErrorCode.DataLoss,
                $"{layout.Name}: the block at byte offset {lost * layout.BlockSize} was lost with file server {layout.Servers[(int)(lost % layout.Width)].Address} " +
                "(it came back without its data, or lost a committed write), and the file has no parity to rebuild it from; write the file anew or delete it");
        }

        var calls = StripeMath.Plan(blocks, layout.Width, layout.BlockSize, options.MaxCallBytes);
        using var limits = new ServerLimits(layout.Width, PerServerLimit(layout, calls));
        await Task.WhenAll(calls.Select(call => ReadOneAsync(layout, call, limits[call.Server], onCall, cancellationToken))).ConfigureAwait(false);
    }

    /// <summary>Writes blocks (each at most a block long), ordered by index without duplicates.</summary>
    public async Task WriteAsync(FileLayout layout, IReadOnlyList<(long Index, ReadOnlyMemory<byte> Bytes)> blocks,
                                 bool sync, CancellationToken cancellationToken)
    {
        if (blocks.Count == 0)
        {
            return;
        }

        if (layout.Parity > 0)
        {
            await _erasure.WriteAsync(layout, blocks, sync, cancellationToken).ConfigureAwait(false);
            return;
        }

        var bytesByBlock = new Dictionary<long, ReadOnlyMemory<byte>>(blocks.Count);
        var indices = new List<long>(blocks.Count);
        foreach (var (index, bytes) in blocks)
        {
            bytesByBlock[index] = bytes;
            indices.Add(index);
        }

        var calls = StripeMath.Plan(indices, layout.Width, layout.BlockSize, options.MaxCallBytes);
        using var limits = new ServerLimits(layout.Width, PerServerLimit(layout, calls));
        await Task.WhenAll(calls.Select(call => WriteOneAsync(layout, call, bytesByBlock, sync, limits[call.Server], cancellationToken))).ConfigureAwait(false);
    }

    /// <summary>Makes everything written to these servers' stripe objects durable.</summary>
    public Task SyncAsync(FileLayout layout, IEnumerable<int> servers, CancellationToken cancellationToken) =>
        layout.Parity > 0 ? _erasure.SyncAsync(layout, servers, cancellationToken) : Task.WhenAll(servers.Select(server => CallAsync(layout, server, "pfs.fileserver.sync", activity =>
            WriteBytesAsync(layout.Servers[server].Client,
                new WriteBytesRequest { Object = layout.ObjectId, Sync = true, Capability = layout.Capability }, cancellationToken))));

    /// <summary>
    /// Presents this open's write capability to every server of the stripe (an empty write), so
    /// each refuses from now on any write of an earlier writer whose lock has passed on.
    /// </summary>
    public Task FenceAsync(FileLayout layout, CancellationToken cancellationToken) =>
        layout.Parity > 0 ? _erasure.FenceAsync(layout, cancellationToken) : Task.WhenAll(Enumerable.Range(0, layout.Width).Select(server => CallAsync(layout, server, "pfs.fileserver.fence", activity =>
            WriteBytesAsync(layout.Servers[server].Client,
                new WriteBytesRequest { Object = layout.ObjectId, Capability = layout.Capability }, cancellationToken))));

    /// <summary>
    /// Stages a cut of every server's stripe object at its length in <paramref name="lengths"/> (one per
    /// server of the stripe), ordered after this writer's earlier writes there and before its later ones.
    /// </summary>
    public Task TruncateAsync(FileLayout layout, IReadOnlyList<long> lengths, CancellationToken cancellationToken) =>
        Task.WhenAll(Enumerable.Range(0, layout.Width).Select(server => CallAsync(layout, server, "pfs.fileserver.truncate", activity =>
            WriteBytesAsync(layout.Servers[server].Client,
                new WriteBytesRequest { Object = layout.ObjectId, Capability = layout.Capability, Truncate = lengths[server] }, cancellationToken))));

    /// <summary>Removes the file's stripe object from every server of its stripe (parity positions included).</summary>
    public Task DeleteAsync(FileLayout layout, CancellationToken cancellationToken) =>
        Task.WhenAll(Enumerable.Range(0, layout.Positions).Select(server => CallAsync(layout, server, "pfs.fileserver.delete", activity =>
            layout.Servers[server].Client.DeleteObjectAsync(
                new DeleteObjectRequest { Object = layout.ObjectId, Capability = layout.Capability },
                Bounded(cancellationToken)).ResponseAsync)));

    private async Task ReadOneAsync(FileLayout layout, ServerCall call, SemaphoreSlim limiter,
                                    Action<ServerCall, IReadOnlyList<ReadOnlyMemory<byte>>> onCall, CancellationToken cancellationToken)
    {
        var request = new ReadBytesRequest { Object = layout.ObjectId, Capability = layout.Capability, ChecksumBlock = Checksums ? layout.BlockSize : 0 };
        foreach (var run in call.Runs)
        {
            request.Ranges.Add(new ByteRange
            {
                Offset = StripeMath.LocalOffset(run.FirstBlock, layout.Width, layout.BlockSize),
                Length = run.Count * layout.BlockSize,
            });
        }

        await limiter.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Bytes that fail their sum on the way here are asked for once more before they count as damaged.
            for (var attempt = 1; ; attempt++)
            {
                using var reply = await CallAsync(layout, call.Server, "pfs.fileserver.read", activity =>
                {
                    Tag(activity, layout, call);
                    return layout.Servers[call.Server].Invoker.AsyncUnaryCall(
                        ReadBytesMethod.Method, null, Bounded(cancellationToken), request).ResponseAsync;
                }).ConfigureAwait(false);
                if (reply.Data.Count != call.Runs.Count)
                {
                    throw new PfsException(PfsErrorCode.Internal,
                        $"file server {layout.Servers[call.Server].Address} answered {reply.Data.Count} ranges for {call.Runs.Count}");
                }

                if (request.ChecksumBlock > 0 && Damage(layout, call, reply) is { } damage)
                {
                    if (damage.InTransit && attempt == 1)
                    {
                        continue;
                    }

                    throw DataLoss(layout, damage);
                }

                PfsMetrics.RecordRead(call.Server, layout.Servers[call.Server].Address, reply.Data);
                onCall(call, reply.Data);
                return;
            }
        }
        finally
        {
            limiter.Release();
        }
    }

    // The first block of the reply that is not intact: withheld by the server as damaged on its disk,
    // or not matching the sum the server sent (damaged on the way). A server that sends no sums (an older
    // one) is taken at its word.
    private static ShardDamagedException? Damage(FileLayout layout, ServerCall call, PooledReadReply reply)
    {
        var blockSize = layout.BlockSize;
        if (reply.Damaged.Count > 0)
        {
            var local = reply.Damaged[0] / blockSize;
            return new ShardDamagedException(call.Server, local, (local * layout.Width) + call.Server, inTransit: false);
        }

        if (reply.Sums.Count == 0)
        {
            return null;
        }

        var n = 0;
        for (var run = 0; run < call.Runs.Count; run++)
        {
            var data = reply.Data[run].Span;
            for (var at = 0; at < data.Length; at += blockSize, n++)
            {
                if (n >= reply.Sums.Count || BlockChecksum.Compute(data.Slice(at, Math.Min(blockSize, data.Length - at)), blockSize) != reply.Sums[n])
                {
                    var fileBlock = call.Runs[run].FirstBlock + ((long)(at / blockSize) * layout.Width);
                    return new ShardDamagedException(call.Server, StripeMath.LocalOffset(fileBlock, layout.Width, blockSize) / blockSize, fileBlock, inTransit: true);
                }
            }
        }

        return null;
    }

    private static PfsException DataLoss(FileLayout layout, ShardDamagedException damage)
    {
        var what = damage.InTransit
            ? "arrived damaged (twice) from file server {0}: it no longer matches its checksum"
            : "is damaged or lost on file server {0}: its stored bytes are missing or no longer match their checksum";
        return new PfsException(
            PfsErrorCode.DataLoss,
            $"{layout.Name}: the block at byte offset {damage.FileBlock * layout.BlockSize} {string.Format(CultureInfo.InvariantCulture, what, layout.Servers[damage.Server].Address)}",
            damage);
    }

    private async Task WriteOneAsync(FileLayout layout, ServerCall call, Dictionary<long, ReadOnlyMemory<byte>> bytesByBlock,
                                     bool sync, SemaphoreSlim limiter, CancellationToken cancellationToken)
    {
        var checksums = Checksums;
        var request = new WriteBytesRequest { Object = layout.ObjectId, Sync = sync, Capability = layout.Capability, ChecksumBlock = checksums ? layout.BlockSize : 0 };
        var rented = new List<byte[]>();
        long total = 0;
        try
        {
            foreach (var run in call.Runs)
            {
                var segment = Gather(layout, run, bytesByBlock, rented, copy: checksums);
                total += segment.Length;
                var written = new WriteSegment
                {
                    Offset = StripeMath.LocalOffset(run.FirstBlock, layout.Width, layout.BlockSize),
                    Data = UnsafeByteOperations.UnsafeWrap(segment),
                };
                if (checksums)
                {
                    // Summed here, from the bytes as they leave: the server checks them before it keeps anything.
                    var sums = new uint[BlockChecksum.ChunkCount(segment.Length, layout.BlockSize)];
                    BlockChecksum.ComputeAll(segment.Span, layout.BlockSize, sums);
                    written.Sums.Add(sums);
                }

                request.Segments.Add(written);
            }

            await limiter.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                await CallAsync(layout, call.Server, "pfs.fileserver.write", activity =>
                {
                    Tag(activity, layout, call);
                    activity?.SetTag("pfs.bytes", total);
                    return WriteBytesAsync(layout.Servers[call.Server].Client, request, cancellationToken);
                }).ConfigureAwait(false);
                PfsMetrics.RecordWrite(call.Server, layout.Servers[call.Server].Address, total);
            }
            finally
            {
                limiter.Release();
            }
        }
        finally
        {
            foreach (var buffer in rented)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    // A run of one block goes as it is (no copy) unless `copy`; a longer run is copied into one pooled
    // buffer, each block but the last padded to a full block (its tail reads as zeros anyway). With
    // checksums every run is copied: a cached block may be written to while its write-back is on the
    // way (the cache sends it again then), and the bytes sent must be the bytes summed.
    private static ReadOnlyMemory<byte> Gather(FileLayout layout, BlockRun run, Dictionary<long, ReadOnlyMemory<byte>> bytesByBlock, List<byte[]> rented, bool copy)
    {
        if (run.Count == 1 && !copy)
        {
            return bytesByBlock[run.FirstBlock];
        }

        var lastBlock = run.FirstBlock + ((long)(run.Count - 1) * layout.Width);
        var length = ((run.Count - 1) * layout.BlockSize) + bytesByBlock[lastBlock].Length;
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        rented.Add(buffer);
        for (var k = 0; k < run.Count; k++)
        {
            var bytes = bytesByBlock[run.FirstBlock + ((long)k * layout.Width)].Span;
            var target = buffer.AsSpan(k * layout.BlockSize, k == run.Count - 1 ? bytes.Length : layout.BlockSize);
            bytes.CopyTo(target);
            target[bytes.Length..].Clear();
        }

        return buffer.AsMemory(0, length);
    }
}
