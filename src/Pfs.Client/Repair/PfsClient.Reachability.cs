using System.Diagnostics;
using Grpc.Core;
using Pfs.Protocol.FileServer;
using FileInfo = Pfs.Protocol.Meta.FileInfo;

namespace Pfs.Client;

/// <summary>
/// Whether the servers a repair must write to are there. A repair's writes wait for a server that is only
/// restarting, so without a look first every degraded file of a server that is down waited out the
/// operation timeout in turn: a pass over many files took that many timeouts, and said nothing meanwhile.
/// Each server is asked once a pass instead, and the files that need one that is not there fail at once,
/// naming it; the next pass asks again.
/// </summary>
public sealed partial class PfsClient
{
    // Between two refused asks: the channels retry a connection at least every second (PfsChannel's
    // MaxReconnectBackoff), so a server that is back is connected within the RefusedFor window.
    private static readonly TimeSpan ProbePause = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// Why a stale position of <paramref name="file"/> cannot be rebuilt now (its file server is not there), or null
    /// if every one answers. <paramref name="known"/> holds this pass's answers (null: it answered).
    /// </summary>
    private async Task<string?> StaleServerMissingAsync(FileInfo file, Dictionary<string, string?> known, CancellationToken cancellationToken)
    {
        foreach (var position in file.StalePositions)
        {
            if (position < 0 || position >= file.Recipe.Servers.Count)
            {
                continue;
            }

            var address = file.Recipe.Servers[position];
            if (!known.TryGetValue(address, out var why))
            {
                why = await WhyUnreachableAsync(address, cancellationToken).ConfigureAwait(false);
                known[address] = why;
            }

            if (why is not null)
            {
                return $"file server {address} {why}; its shards are rebuilt by a pass once it answers";
            }
        }

        return null;
    }

    /// <summary>
    /// Null if file server <paramref name="address"/> answers (if only to refuse the call); else why not: every ask
    /// for <see cref="RefusedFor"/> was refused or found no such host, or one went unanswered for the operation timeout.
    /// </summary>
    private async Task<string?> WhyUnreachableAsync(string address, CancellationToken cancellationToken)
    {
        var server = _pool.Get(address);
        var since = Stopwatch.GetTimestamp();
        while (true)
        {
            try
            {
                // No wait-for-ready: a refused connection is the answer, not something to wait out.
                await server.Client.CapacityAsync(new CapacityRequest(), new CallOptions(deadline: DateTime.UtcNow + Options.OperationTimeout,
                    cancellationToken: cancellationToken)).ResponseAsync.ConfigureAwait(false);
                return null;
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.DeadlineExceeded && !cancellationToken.IsCancellationRequested)
            {
                return $"did not answer within {Options.OperationTimeout.TotalSeconds:0.#} s";
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.Unavailable && !cancellationToken.IsCancellationRequested)
            {
                if (Stopwatch.GetElapsedTime(since) >= RefusedFor)
                {
                    return Refusal(ex) ?? $"is unavailable ({ex.Status.Detail})";
                }

                await Task.Delay(ProbePause, cancellationToken).ConfigureAwait(false);
            }
            catch (RpcException) when (!cancellationToken.IsCancellationRequested)
            {
                // It is there, and refused this call for a reason of its own: the repair's calls say what goes wrong.
                return null;
            }
        }
    }
}
