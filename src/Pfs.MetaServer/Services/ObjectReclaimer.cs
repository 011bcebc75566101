using System.Collections.Concurrent;
using System.Threading.Channels;
using Grpc.Core;
using Pfs.MetaServer.Locking;
using Pfs.MetaServer.Persistence;
using Pfs.Protocol;
using Pfs.Protocol.FileServer;

namespace Pfs.MetaServer.Services;

/// <summary>
/// Deletes the stripe objects of freed files on every file server of their stripe, so no block stays
/// behind forever. A freed file is in the store's reclaim list from the same change that freed it; this
/// calls DeleteObject on each of its servers (with a write capability the metadata server signs for
/// itself, with a new epoch, so a late write of an old holder is refused afterwards) and takes it off
/// the list once every server answered. A server that is down is retried with backoff; across a restart
/// the list is reloaded. The metadata server still never moves file data.
/// </summary>
internal sealed partial class ObjectReclaimer : BackgroundService
{
    private const int Parallel = 8;
    private static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan LastRetry = TimeSpan.FromSeconds(30);

    private readonly Channel<(ulong Id, string Value)> _queue = Channel.CreateUnbounded<(ulong, string)>(new() { SingleReader = true });
    private readonly ConcurrentDictionary<ulong, byte> _pending = new();
    private readonly IMetadataStore _store;
    private readonly FileServerClients _servers;
    private readonly CapabilitySigner _signer;
    private readonly WriterEpochs _epochs;
    private readonly IReadOnlyList<string> _fileServers;
    private readonly TimeSpan _timeout;
    private readonly TimeProvider _time;
    private readonly ILogger<ObjectReclaimer> _logger;

    public ObjectReclaimer(IMetadataStore store, FileServerClients servers, CapabilitySigner signer, WriterEpochs epochs,
                           MetaServerOptions options, TimeProvider time, ILogger<ObjectReclaimer> logger)
    {
        _store = store;
        _servers = servers;
        _signer = signer;
        _epochs = epochs;
        _fileServers = options.FileServers;
        _timeout = options.CommitTimeout;
        _time = time;
        _logger = logger;
    }

    /// <summary>Files whose objects are not deleted everywhere yet (queued or in progress). For tests and status.</summary>
    public int Pending => _pending.Count;

    /// <summary>Queues a freed file (its reclaim entry is in the store already). Queuing one twice does nothing.</summary>
    public void Enqueue(ulong id, string value)
    {
        if (_pending.TryAdd(id, 0))
        {
            _queue.Writer.TryWrite((id, value));
        }
    }

    /// <summary>
    /// One attempt now, as the version-1 Delete promises (the blocks are gone when it returns): every server
    /// at once, without waiting for one that is down (the queued reclaim retries that one).
    /// </summary>
    /// <returns>True if every server confirmed and the reclaim entry is gone.</returns>
    public async Task<bool> ReclaimNowAsync(ulong id, string value)
    {
        if (NodeFields.ParseReclaim(value) is not { } parsed || parsed.Positions > _fileServers.Count)
        {
            return false;
        }

        var name = parsed.Path.Length > 0 ? parsed.Path : $"inode-{id:x16}";
        var deleted = await Task.WhenAll(Enumerable.Range(0, parsed.Positions).Select(position => DeleteOnAsync(id, name, position, waitForReady: false)))
            .ConfigureAwait(false);
        if (deleted.Any(ok => !ok))
        {
            return false;
        }

        try
        {
            await _store.ApplyAsync(new StoreChange().RemoveReclaim(id), CancellationToken.None).ConfigureAwait(false);
            return true;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The queued reclaim removes the entry later.
            LogRetrying(_logger, id, FirstRetry.TotalMilliseconds, ex.Message);
            return false;
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var slots = new SemaphoreSlim(Parallel);
        var running = new List<Task>();
        try
        {
            await foreach (var (id, value) in _queue.Reader.ReadAllAsync(stoppingToken).ConfigureAwait(false))
            {
                await slots.WaitAsync(stoppingToken).ConfigureAwait(false);
                running.RemoveAll(task => task.IsCompleted);
                running.Add(Task.Run(async () =>
                {
                    try
                    {
                        await ReclaimAsync(id, value, stoppingToken).ConfigureAwait(false);
                    }
                    finally
                    {
                        slots.Release();
                    }
                }, CancellationToken.None));
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopping: what is left stays in the store's reclaim list for the next start.
        }

        await Task.WhenAll(running).ConfigureAwait(false);
    }

    private async Task ReclaimAsync(ulong id, string value, CancellationToken stopping)
    {
        try
        {
            var parsed = NodeFields.ParseReclaim(value);
            if (parsed is null)
            {
                LogMalformed(_logger, id, value);
                await RetryAsync(() => _store.ApplyAsync(new StoreChange().RemoveReclaim(id), CancellationToken.None), id, stopping).ConfigureAwait(false);
                return;
            }

            var (positions, path) = parsed.Value;
            if (positions > _fileServers.Count)
            {
                // Its servers are not all configured: left in the store for a start that has them.
                LogTooFewServers(_logger, id, positions, _fileServers.Count);
                return;
            }

            var name = path.Length > 0 ? path : $"inode-{id:x16}";
            await RetryAsync(async () =>
            {
                var deleted = await Task.WhenAll(Enumerable.Range(0, positions).Select(position => DeleteOnAsync(id, name, position, waitForReady: true))).ConfigureAwait(false);
                if (deleted.Any(ok => !ok))
                {
                    throw new IOException("a file server did not confirm the delete");
                }
            }, id, stopping).ConfigureAwait(false);
            await RetryAsync(() => _store.ApplyAsync(new StoreChange().RemoveReclaim(id), CancellationToken.None), id, stopping).ConfigureAwait(false);
            _epochs.Forget(id);
            LogReclaimed(_logger, id, name, positions);
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Left in the store's reclaim list.
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }
    }

    private async Task RetryAsync(Func<Task> attempt, ulong id, CancellationToken stopping)
    {
        var delay = FirstRetry;
        while (true)
        {
            try
            {
                await attempt().ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogRetrying(_logger, id, delay.TotalMilliseconds, ex.Message);
            }

            await Task.Delay(delay, _time, stopping).ConfigureAwait(false);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, LastRetry.Ticks));
        }
    }

    private async Task<bool> DeleteOnAsync(ulong id, string name, int position, bool waitForReady)
    {
        var address = _fileServers[position];
        try
        {
            var request = new DeleteObjectRequest
            {
                Object = new ObjectId { Name = name, Generation = id },
                Capability = _signer.Sign(name, id, write: true, _epochs.Next(), ObjectCommitter.SignerId),
            };
            var options = new CallOptions(deadline: DateTime.UtcNow + _timeout).WithWaitForReady(waitForReady);
            await _servers.For(address).DeleteObjectAsync(request, options).ResponseAsync.ConfigureAwait(false);
            return true;
        }
        catch (RpcException ex)
        {
            LogDeleteFailed(_logger, id, address, ex.StatusCode, ex.Status.Detail);
            return false;
        }
    }

    [LoggerMessage(EventId = 70, EventName = "ObjectsReclaimed", Level = LogLevel.Debug, Message = "Deleted the stripe objects of freed file {Id} ('{Name}') on {Positions} file server(s)")]
    private static partial void LogReclaimed(ILogger logger, ulong id, string name, int positions);

    [LoggerMessage(EventId = 71, EventName = "ReclaimDeleteFailed", Level = LogLevel.Warning, Message = "Deleting the objects of freed file {Id} on {Server} failed ({Code}: {Detail}); retrying")]
    private static partial void LogDeleteFailed(ILogger logger, ulong id, string server, StatusCode code, string detail);

    [LoggerMessage(EventId = 72, EventName = "ReclaimRetrying", Level = LogLevel.Information, Message = "Reclaim of freed file {Id} did not finish ({Reason}); again in {DelayMs} ms")]
    private static partial void LogRetrying(ILogger logger, ulong id, double delayMs, string reason);

    [LoggerMessage(EventId = 73, EventName = "ReclaimMalformed", Level = LogLevel.Error, Message = "Reclaim entry of file {Id} is malformed ('{Value}'); dropping it")]
    private static partial void LogMalformed(ILogger logger, ulong id, string value);

    [LoggerMessage(EventId = 74, EventName = "ReclaimTooFewServers", Level = LogLevel.Error, Message = "Freed file {Id} has objects on {Positions} file servers but only {Count} are configured; its reclaim waits for a start that has them")]
    private static partial void LogTooFewServers(ILogger logger, ulong id, int positions, int count);
}
