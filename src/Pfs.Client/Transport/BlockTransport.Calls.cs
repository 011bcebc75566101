using System.Diagnostics;
using Grpc.Core;
using Pfs.Client.Diagnostics;
using Pfs.Client.Striping;
using Pfs.Protocol;
using Pfs.Protocol.FileServer;

namespace Pfs.Client.Transport;

/// <summary>The calls themselves: how many go to each server at once, the write retry, tracing and errors.</summary>
internal sealed partial class BlockTransport
{
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
