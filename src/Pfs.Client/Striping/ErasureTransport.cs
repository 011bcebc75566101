using System.Buffers;
using Google.Protobuf;
using Grpc.Core;
using Pfs.Client.Diagnostics;
using Pfs.Client.Transport;
using Pfs.Protocol;
using Pfs.Protocol.FileServer;

namespace Pfs.Client.Striping;

/// <summary>
/// Block transfers of files with parity (M &gt; 0), for <see cref="BlockTransport"/>: healthy reads
/// read data shards only; a read that a server fails, or answers too slowly, decodes the blocks
/// from any K shards of their stripes; writes go a stripe at a time with freshly encoded parity
/// (reconstruct-write: the stripe's other data blocks are read, never the old parity), and skip
/// up to M servers that do not answer, which the close reports as missed.
/// </summary>
internal sealed partial class ErasureTransport(PfsClientOptions options)
{
    // A failure that means "this shard cannot be had from that server now": read it elsewhere,
    // or skip the server for the write. Anything else (a fenced writer, a deleted file) is the call's.
    private static bool IsErasure(Exception ex) =>
        ex is PfsException { Code: PfsErrorCode.Unavailable or PfsErrorCode.Internal or PfsErrorCode.DataLoss };

    /// <summary>
    /// Reads the shards of <paramref name="stripes"/> (ascending) at one position, in calls of at most
    /// MaxCallBytes; <paramref name="onCall"/> gets each call's stripes and their bytes (possibly
    /// short: the rest reads as zeros), valid only until it returns.
    /// </summary>
    private async Task ReadShardsAsync(FileLayout layout, int position, IReadOnlyList<long> stripes,
                                       Action<IReadOnlyList<long>, IReadOnlyList<ReadOnlyMemory<byte>>> onCall, CancellationToken cancellationToken,
                                       bool checkShort = true)
    {
        var perCall = Math.Max(1, options.MaxCallBytes / layout.BlockSize);
        using var limiter = new SemaphoreSlim(options.MaxConcurrentCalls);
        var calls = new List<Task>();
        for (var at = 0; at < stripes.Count; at += perCall)
        {
            var chunk = Slice(stripes, at, Math.Min(perCall, stripes.Count - at));
            calls.Add(ReadShardCallAsync(layout, position, chunk, onCall, limiter, checkShort, cancellationToken));
        }

        await Task.WhenAll(calls).ConfigureAwait(false);
    }

    private async Task ReadShardCallAsync(FileLayout layout, int position, IReadOnlyList<long> stripes,
                                          Action<IReadOnlyList<long>, IReadOnlyList<ReadOnlyMemory<byte>>> onCall, SemaphoreSlim limiter,
                                          bool checkShort, CancellationToken cancellationToken)
    {
        var blockSize = layout.BlockSize;
        var request = new ReadBytesRequest { Object = layout.ObjectId, Capability = layout.Capability, ChecksumBlock = BlockTransport.Checksums ? blockSize : 0 };
        var runs = Runs(stripes);
        foreach (var (first, count) in runs)
        {
            request.Ranges.Add(new ByteRange { Offset = first * blockSize, Length = count * blockSize });
        }

        await limiter.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var server = layout.Servers[position];
            using var reply = await BlockTransport.CallAsync(layout, position, "pfs.fileserver.read", activity =>
            {
                activity?.SetTag("pfs.stripe.first", stripes[0]);
                activity?.SetTag("pfs.stripe.count", stripes.Count);
                // No wait-for-ready: a server that is down is decoded around, not waited for.
                var callOptions = new CallOptions(deadline: DateTime.UtcNow + options.OperationTimeout, cancellationToken: cancellationToken);
                return server.Invoker.AsyncUnaryCall(ReadBytesMethod.Method, null, callOptions, request).ResponseAsync;
            }).ConfigureAwait(false);
            if (reply.Data.Count != runs.Count)
            {
                throw new PfsException(PfsErrorCode.Internal, $"file server {server.Address} answered {reply.Data.Count} ranges for {runs.Count}");
            }

            if (Damaged(request, reply, blockSize) is { } at)
            {
                if (reply.Damaged.Count > 0)
                {
                    // Damaged on its disk (not on the way): a repair has to rebuild it.
                    layout.ReportDamage(position, at / blockSize, $"checksum mismatch on {server.Address} at object offset {at}");
                }

                // Never used: the caller reads around it, as around a server that is down.
                throw new PfsException(PfsErrorCode.DataLoss,
                    $"'{layout.Name}': file server {server.Address} holds a damaged shard at its byte offset {at} (it does not match its checksum)");
            }

            if (checkShort && Suspects(layout, position, runs, reply) is { Count: > 0 } suspects
                && await LostAsync(layout, position, suspects, cancellationToken).ConfigureAwait(false) is { } lost)
            {
                layout.ReportDamage(position, lost, $"shard of stripe {lost} missing on {server.Address}");
                throw new PfsException(PfsErrorCode.DataLoss,
                    $"'{layout.Name}': file server {server.Address} no longer holds the shard of stripe {lost} (it lost its data)");
            }

            PfsMetrics.RecordRead(position, server.Address, reply.Data);
            var shards = new List<ReadOnlyMemory<byte>>(stripes.Count);
            for (var r = 0; r < runs.Count; r++)
            {
                var data = reply.Data[r];
                for (var k = 0; k < runs[r].Count; k++)
                {
                    var start = Math.Min(k * blockSize, data.Length);
                    shards.Add(data.Slice(start, Math.Min(blockSize, data.Length - start)));
                }
            }

            onCall(stripes, shards);
        }
        finally
        {
            limiter.Release();
        }
    }

    // The object offset of the first shard of the reply that is not intact: withheld by the server as
    // damaged on its disk, or not matching the sum it sent (damaged on the way). A server that sends no
    // sums (an older one) is taken at its word.
    private static long? Damaged(ReadBytesRequest request, PooledReadReply reply, int blockSize)
    {
        if (reply.Damaged.Count > 0)
        {
            return reply.Damaged[0];
        }

        var n = 0;
        for (var run = 0; run < reply.Data.Count && reply.Sums.Count > 0; run++)
        {
            var data = reply.Data[run].Span;
            for (var at = 0; at < data.Length; at += blockSize, n++)
            {
                if (n >= reply.Sums.Count || BlockChecksum.Compute(data.Slice(at, Math.Min(blockSize, data.Length - at)), blockSize) != reply.Sums[n])
                {
                    return request.Ranges[run].Offset + at;
                }
            }
        }

        return null;
    }

    // The shards of the reply that read short where the file's size says they were written whole: a server that
    // lost its data (came back with an emptied data directory, say) answers like that, and so does a block of a
    // sparse file that was never written. Each is (stripe, what came back).
    private static List<(long Stripe, ReadOnlyMemory<byte> Got)> Suspects(FileLayout layout, int position, List<(long First, int Count)> runs,
                                                                           PooledReadReply reply)
    {
        var suspects = new List<(long, ReadOnlyMemory<byte>)>();
        var stripes = layout.ShardStripes;
        var blocks = layout.DataBlocks;
        var blockSize = layout.BlockSize;
        for (var r = 0; r < runs.Count; r++)
        {
            var (first, count) = runs[r];
            var data = reply.Data[r];
            for (var k = 0; k < count && first + k < stripes; k++)
            {
                var stripe = first + k;
                var shard = ErasureMath.ShardAt(stripe, position, layout.Positions);
                var start = Math.Min(k * blockSize, data.Length);
                var got = data.Slice(start, Math.Min(blockSize, data.Length - start));
                if (got.Length < blockSize && (shard >= layout.Width || (stripe * layout.Width) + shard < blocks))
                {
                    suspects.Add((stripe, got));
                }
            }
        }

        return suspects;
    }

    // Decodes each suspect shard from the other positions: if that gives anything but what came back (padded
    // with zeros), the server lost it, and the first such stripe is returned. A hole decodes to zeros, and so
    // matches. If the others cannot tell (too few within reach), the server's answer stands.
    private async Task<long?> LostAsync(FileLayout layout, int position, List<(long Stripe, ReadOnlyMemory<byte> Got)> suspects,
                                        CancellationToken cancellationToken)
    {
        StripeShards shards;
        try
        {
            shards = await ReadStripesAsync(layout, suspects.ConvertAll(s => s.Stripe), excluded: position, cancellationToken, checkShort: false)
                .ConfigureAwait(false);
        }
        catch (Exception ex) when (IsErasure(ex) && !cancellationToken.IsCancellationRequested)
        {
            return null;
        }

        using (shards)
        {
            for (var i = 0; i < suspects.Count; i++)
            {
                shards.DecodeAll(i);
                var decoded = shards.Buffer(i, ErasureMath.ShardAt(suspects[i].Stripe, position, layout.Positions)).Span;
                var got = suspects[i].Got.Span;
                if (!decoded[..got.Length].SequenceEqual(got) || decoded[got.Length..].ContainsAnyExcept((byte)0))
                {
                    return suspects[i].Stripe;
                }
            }
        }

        return null;
    }

    /// <summary>
    /// Stages shards at one position: <paramref name="shards"/> are (stripe, full-block bytes), ascending by
    /// stripe. On a failure that means the server is out of reach, the position is marked missed (and
    /// skipped from then on); if that leaves more than M positions unusable, the write fails.
    /// </summary>
    private async Task WriteShardsAsync(FileLayout layout, int position, IReadOnlyList<(long Stripe, ReadOnlyMemory<byte> Bytes)> shards,
                                        bool sync, CancellationToken cancellationToken)
    {
        if (!layout.IsUsable(position))
        {
            return;
        }

        if (layout.Servers[position].IsDown)
        {
            Miss(layout, position, null);
            return;
        }

        var perCall = Math.Max(1, options.MaxCallBytes / layout.BlockSize);
        var calls = new List<Task>();
        for (var at = 0; at < shards.Count; at += perCall)
        {
            var checksums = BlockTransport.Checksums;
            var request = new WriteBytesRequest { Object = layout.ObjectId, Sync = sync, Capability = layout.Capability, ChecksumBlock = checksums ? layout.BlockSize : 0 };
            long total = 0;
            for (var i = at; i < Math.Min(shards.Count, at + perCall); i++)
            {
                var segment = new WriteSegment
                {
                    Offset = shards[i].Stripe * layout.BlockSize,
                    Data = UnsafeByteOperations.UnsafeWrap(shards[i].Bytes),
                };
                if (checksums)
                {
                    // Shards are whole blocks: one sum each.
                    segment.Sums.Add(BlockChecksum.Compute(shards[i].Bytes.Span, layout.BlockSize));
                }

                request.Segments.Add(segment);
                total += shards[i].Bytes.Length;
            }

            calls.Add(SendAsync(layout, position, request, total, cancellationToken));
        }

        if (calls.Count == 0 && sync)
        {
            calls.Add(SendAsync(layout, position, new WriteBytesRequest { Object = layout.ObjectId, Sync = true, Capability = layout.Capability }, 0, cancellationToken));
        }

        try
        {
            await Task.WhenAll(calls).ConfigureAwait(false);
            if (calls.Count > 0)
            {
                layout.MarkWritten(position);
            }
        }
        catch (Exception ex) when (IsErasure(ex) && !cancellationToken.IsCancellationRequested)
        {
            layout.Servers[position].MarkDown();
            Miss(layout, position, ex);
        }
    }

    // Shard writes do not wait for a server that is down (they skip it); a repair's writes must land, and do
    // (`waitForReady`: a server that just came back may still be in the channel's reconnect backoff).
    private async Task SendAsync(FileLayout layout, int position, WriteBytesRequest request, long bytes, CancellationToken cancellationToken,
                                 bool waitForReady = false)
    {
        var server = layout.Servers[position];
        await BlockTransport.CallAsync(layout, position, "pfs.fileserver.write", activity =>
        {
            activity?.SetTag("pfs.bytes", bytes);
            var timeout = options.ShardWriteTimeout < options.OperationTimeout ? options.ShardWriteTimeout : options.OperationTimeout;
            var headers = request.Capability is null ? null : CapabilityHeader.For(request.Capability);
            var callOptions = new CallOptions(headers, DateTime.UtcNow + (waitForReady ? options.OperationTimeout : timeout), cancellationToken)
                .WithWaitForReady(waitForReady);
            return server.Client.WriteBytesAsync(request, callOptions).ResponseAsync;
        }).ConfigureAwait(false);

        // It answered: later shard writes of this open (a repair's close, say) must not skip it as down
        // on the strength of a failure from before it came back.
        server.MarkUp();
        PfsMetrics.RecordWrite(position, server.Address, bytes);
    }

    private static void Miss(FileLayout layout, int position, Exception? cause)
    {
        if (!layout.MarkMissed(position))
        {
            throw new PfsException(PfsErrorCode.Unavailable,
                $"'{layout.Name}': more than {layout.Parity} of its {layout.Positions} file servers cannot be written (last: {layout.Servers[position].Address})",
                cause);
        }
    }

    // Consecutive stripes as (first, count) runs: one byte range each.
    private static List<(long First, int Count)> Runs(IReadOnlyList<long> stripes)
    {
        var runs = new List<(long, int)>();
        var first = stripes[0];
        var count = 1;
        for (var i = 1; i < stripes.Count; i++)
        {
            if (stripes[i] == first + count)
            {
                count++;
                continue;
            }

            runs.Add((first, count));
            first = stripes[i];
            count = 1;
        }

        runs.Add((first, count));
        return runs;
    }

    private static List<T> Slice<T>(IReadOnlyList<T> list, int start, int count)
    {
        var slice = new List<T>(count);
        for (var i = start; i < start + count; i++)
        {
            slice.Add(list[i]);
        }

        return slice;
    }

    private static byte[] Rent(int blockSize, List<byte[]> rented)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(blockSize);
        rented.Add(buffer);
        return buffer;
    }

    private static void ReturnAll(List<byte[]> rented)
    {
        foreach (var buffer in rented)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        rented.Clear();
    }
}
