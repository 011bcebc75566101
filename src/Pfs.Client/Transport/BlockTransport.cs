using System.Buffers;
using System.Diagnostics;
using Google.Protobuf;
using Grpc.Core;
using Pfs.Client.Diagnostics;
using Pfs.Client.Striping;
using Pfs.Protocol;
using Pfs.Protocol.FileServer;

namespace Pfs.Client.Transport;

/// <summary>
/// Moves blocks between the client and the file servers: one call per server per run of blocks
/// that lie back to back there, every call in flight at once (up to a limit).
/// </summary>
internal sealed class BlockTransport(PfsClientOptions options)
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
        var where = damage.InTransit ? "arrived damaged (twice) from" : "is damaged on";
        return new PfsException(
            PfsErrorCode.DataLoss,
            $"{layout.Name}: the block at byte offset {damage.FileBlock * layout.BlockSize} {where} file server {layout.Servers[damage.Server].Address}: it no longer matches its checksum",
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

    // Calls in flight per server: MaxConcurrentCalls, as long as the operation's bytes in flight
    // stay within MaxConcurrentCalls full calls in all (full calls of at least the default 1 MiB:
    // a client configured for small calls must not lose its per-server parallelism to the budget).
    // Small calls (a block each) keep the full count on every server, so a wider stripe takes
    // fewer rounds of latency; large ones are spread over the servers instead of multiplied by
    // them, since 16 MiB in flight to each of 4 servers only makes every server buffer and collect
    // 4 times as many payloads at once (measured: CPU per MiB written rose from 7.5 to 12 ms in
    // the file servers).
    private const int BudgetCallBytes = 1024 * 1024;

    private int PerServerLimit(FileLayout layout, List<ServerCall> calls)
    {
        var largest = 0;
        foreach (var call in calls)
        {
            largest = Math.Max(largest, call.BlockCount);
        }

        var callBytes = (long)largest * layout.BlockSize;
        // A wide stripe still gets two full calls in flight to every server (one on the wire, one
        // queued behind it), else each server's link idles while its next call is being asked for.
        var total = Math.Max((long)options.MaxConcurrentCalls * Math.Max(options.MaxCallBytes, BudgetCallBytes), 2L * layout.Width * callBytes);
        var budget = total / layout.Width;
        return (int)Math.Clamp(budget / Math.Max(callBytes, 1), 1, options.MaxConcurrentCalls);
    }

    // What gRPC's retry policy does for the other calls (see FileServerPool), without its copy of
    // the request: a positional write is idempotent, so one that met a restarting server is sent
    // again, with backoff, until it lands or the operation's deadline passes.
    private async Task<WriteBytesReply> WriteBytesAsync(FileService.FileServiceClient client, WriteBytesRequest request,
                                                        CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + options.OperationTimeout;
        var backoff = FileServerPool.InitialBackoff;
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var callOptions = new CallOptions(CapabilityHeader.For(request.Capability), deadline, cancellationToken).WithWaitForReady();
                return await client.WriteBytesAsync(request, callOptions).ResponseAsync.ConfigureAwait(false);
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.DataLoss && attempt == 1)
            {
                // The server found the bytes damaged on the way and kept none of them: send them again, once.
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.Unavailable && attempt < FileServerPool.RetryAttempts)
            {
                var pause = backoff * Random.Shared.NextDouble();
                if (DateTime.UtcNow + pause >= deadline)
                {
                    throw;
                }

                await Task.Delay(pause, cancellationToken).ConfigureAwait(false);
                backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, FileServerPool.MaxBackoff.Ticks));
            }
        }
    }

    /// <summary>
    /// One call to file server <paramref name="server"/> of <paramref name="layout"/> (by this transport or the
    /// erasure one), traced as <paramref name="operation"/>; a refusal becomes a <see cref="PfsException"/>, a
    /// cancelled call an <see cref="OperationCanceledException"/>.
    /// </summary>
    internal static async Task<T> CallAsync<T>(FileLayout layout, int server, string operation, Func<Activity?, Task<T>> call)
    {
        using var activity = PfsTelemetry.Source.StartActivity(operation, ActivityKind.Client);
        activity?.SetTag("pfs.file", layout.Name);
        activity?.SetTag("pfs.server.index", server);
        activity?.SetTag("pfs.server.address", layout.Servers[server].Address);
        try
        {
            return await call(activity).ConfigureAwait(false);
        }
        catch (RpcException ex) when (ex.StatusCode == StatusCode.Cancelled)
        {
            throw new OperationCanceledException($"a call to file server {layout.Servers[server].Address} was cancelled", ex);
        }
        catch (RpcException ex)
        {
            activity?.SetStatus(ActivityStatusCode.Error, ex.Status.Detail);
            throw PfsErrors.FromRpc(ex, $"file server {layout.Servers[server].Address}");
        }
    }

    private static void Tag(Activity? activity, FileLayout layout, ServerCall call)
    {
        if (activity is null)
        {
            return;
        }

        var last = call.Runs[^1];
        activity.SetTag("pfs.block.first", call.Runs[0].FirstBlock);
        activity.SetTag("pfs.block.last", last.FirstBlock + ((long)(last.Count - 1) * layout.Width));
        activity.SetTag("pfs.block.count", call.BlockCount);
        activity.SetTag("pfs.bytes", (long)call.BlockCount * layout.BlockSize);
    }

    // Wait-for-ready: a call to a restarting server waits for it (within the deadline) instead
    // of failing while the channel reconnects.
    private CallOptions Bounded(CancellationToken cancellationToken) =>
        new CallOptions(deadline: DateTime.UtcNow + options.OperationTimeout, cancellationToken: cancellationToken).WithWaitForReady();

    // The limit on calls in flight is per server: one shared limit would let a wide stripe keep
    // no more calls going than a narrow one, and the fan-out would buy nothing.
    private sealed class ServerLimits(int servers, int perServer) : IDisposable
    {
        private readonly SemaphoreSlim[] _limits = [.. Enumerable.Range(0, servers).Select(_ => new SemaphoreSlim(perServer))];

        public SemaphoreSlim this[int server] => _limits[server];

        public void Dispose()
        {
            foreach (var limit in _limits)
            {
                limit.Dispose();
            }
        }
    }
}
