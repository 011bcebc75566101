using Grpc.Core;
using Pfs.MetaServer.Registry;
using Pfs.Protocol;
using Pfs.Protocol.FileServer;

namespace Pfs.MetaServer.Services;

/// <summary>
/// Tells file servers to apply what a writer staged (CommitObject), once its close is recorded. The
/// metadata server never moves file data; this is one small call per server the writer wrote to,
/// in parallel, with a deadline. A server that cannot be reached keeps the bytes staged, and the
/// epoch stays in the file's pending commits (named in every capability) until a later close
/// confirms it everywhere; until then the first holder whose call reaches that server applies it.
/// </summary>
internal sealed partial class ObjectCommitter
{
    /// <summary>The client id the metadata server's own capabilities carry.</summary>
    internal const string SignerId = "pfs-metaserver";

    private readonly FileServerClients _servers;
    private readonly CapabilitySigner _signer;
    private readonly TimeSpan _timeout;
    private readonly TimeSpan _retryTimeout;
    private readonly ILogger<ObjectCommitter> _logger;

    public ObjectCommitter(CapabilitySigner signer, FileServerClients servers, MetaServerOptions options, ILogger<ObjectCommitter> logger)
    {
        _signer = signer;
        _servers = servers;
        _timeout = options.CommitTimeout;
        // Older pending commits are retried at every close of the file; while their server stays down,
        // each such close waits this long, so it is shorter (but longer than the reconnect backoff).
        _retryTimeout = TimeSpan.FromTicks(Math.Min(options.CommitTimeout.Ticks, TimeSpan.FromSeconds(2).Ticks));
        _logger = logger;
    }

    /// <summary>
    /// Commits <paramref name="epoch"/> (if nonzero) on the servers at <paramref name="positions"/>, and every
    /// pending epoch of <paramref name="file"/> on all its servers (parity positions included). <paramref name="name"/> is the
    /// file's path as the writer's open knew it (for the servers' logs).
    /// </summary>
    /// <returns>
    /// The epochs every server they were sent to confirmed, and the positions whose server answered that it had
    /// dropped what an epoch staged there before the commit came (those bytes are lost there; nothing is left
    /// to apply, so that answer confirms the epoch too).
    /// </returns>
    public async Task<(IReadOnlyCollection<ulong> Confirmed, IReadOnlyCollection<int> Lost)> CommitAsync(
        FileNode file, string name, ulong epoch, IReadOnlyCollection<int> positions)
    {
        var calls = new List<(ulong Epoch, int Position, Task<CommitOutcome> Done)>();
        if (epoch != 0)
        {
            foreach (var position in positions)
            {
                calls.Add((epoch, position, CommitOnAsync(file, name, epoch, position, _timeout)));
            }
        }

        foreach (var pending in file.PendingCommits)
        {
            if (pending == epoch)
            {
                continue;
            }

            for (var position = 0; position < file.Positions; position++)
            {
                calls.Add((pending, position, CommitOnAsync(file, name, pending, position, _retryTimeout)));
            }
        }

        await Task.WhenAll(calls.Select(call => call.Done)).ConfigureAwait(false);
        var confirmed = calls.GroupBy(call => call.Epoch)
            .Where(group => group.All(call => call.Done.Result != CommitOutcome.Failed))
            .Select(group => group.Key)
            .ToHashSet();
        var lost = calls.Where(call => call.Done.Result == CommitOutcome.Lost).Select(call => call.Position).ToHashSet();
        return (confirmed, lost);
    }

    private async Task<CommitOutcome> CommitOnAsync(FileNode file, string name, ulong epoch, int position, TimeSpan timeout)
    {
        var address = file.Servers[position];
        var lost = false;
        var answered = await CallAsync("pfs.meta.commit", name, address, async server =>
        {
            var request = new CommitObjectRequest { Object = ObjectOf(file, name), Capability = _signer.SignCommit(name, file.Id, epoch, SignerId) };
            // Wait for ready: a server that just came back may still be in the channel's reconnect backoff.
            var options = new CallOptions(deadline: DateTime.UtcNow + timeout).WithWaitForReady();
            await server.CommitObjectAsync(request, options).ResponseAsync.ConfigureAwait(false);
        }, ex =>
        {
            if (ex.StatusCode == StatusCode.DataLoss)
            {
                lost = true;
                LogCommitLost(_logger, name, epoch, address, position, ex.Status.Detail);
            }
            else
            {
                LogCommitFailed(_logger, name, epoch, address, ex.StatusCode, ex.Status.Detail);
            }
        }).ConfigureAwait(false);
        return answered ? CommitOutcome.Applied : lost ? CommitOutcome.Lost : CommitOutcome.Failed;
    }

    /// <summary>
    /// Drops what writer <paramref name="epoch"/> staged on every server of <paramref name="file"/>
    /// (AbortObject), for a writer whose lease ended without a close: its stage and file handles go now,
    /// not when a later holder happens to touch the object. A server that cannot be reached keeps the
    /// stage until then, as before; the epoch is fenced there anyway.
    /// </summary>
    /// <returns>How many servers confirmed.</returns>
    public async Task<int> AbortAsync(FileNode file, string name, ulong epoch)
    {
        var calls = new List<Task<bool>>();
        for (var position = 0; position < file.Positions; position++)
        {
            calls.Add(AbortOnAsync(file, name, epoch, file.Servers[position]));
        }

        var done = await Task.WhenAll(calls).ConfigureAwait(false);
        return done.Count(confirmed => confirmed);
    }

    private Task<bool> AbortOnAsync(FileNode file, string name, ulong epoch, string address) =>
        CallAsync("pfs.meta.abort", name, address, async server =>
        {
            var request = new AbortObjectRequest { Object = ObjectOf(file, name), Capability = _signer.SignCommit(name, file.Id, epoch, SignerId) };
            await server.AbortObjectAsync(request, new CallOptions(deadline: DateTime.UtcNow + _timeout)).ResponseAsync.ConfigureAwait(false);
        }, ex => LogAbortFailed(_logger, name, epoch, address, ex.StatusCode, ex.Status.Detail));

    private enum CommitOutcome
    {
        /// <summary>The server answered: applied now, or nothing of the epoch is staged there.</summary>
        Applied,

        /// <summary>No answer, or a refusal: the epoch stays pending.</summary>
        Failed,

        /// <summary>The server had dropped what the epoch staged there: those bytes are lost on it.</summary>
        Lost,
    }

    private static ObjectId ObjectOf(FileNode file, string name) => new() { Name = name, Generation = file.Id };

    /// <summary>
    /// One call of the fan-out to the file server at <paramref name="address"/>, traced as
    /// <paramref name="operation"/>: true once it answered, false (after <paramref name="failed"/>)
    /// when it refused or could not be reached.
    /// </summary>
    private async Task<bool> CallAsync(
        string operation, string name, string address, Func<FileService.FileServiceClient, Task> call, Action<RpcException> failed)
    {
        using var activity = MetaServerTelemetry.Source.StartActivity(operation);
        activity?.SetTag("pfs.file.name", name);
        activity?.SetTag("pfs.server", address);
        try
        {
            await call(_servers.For(address)).ConfigureAwait(false);
            return true;
        }
        catch (RpcException ex)
        {
            failed(ex);
            return false;
        }
    }

    [LoggerMessage(EventId = 31, EventName = "AbortFailed", Level = LogLevel.Warning, Message = "Abort of '{Name}' epoch {Epoch} on {Server} failed ({Code}: {Detail}); the stage stays until a later holder touches the object")]
    private static partial void LogAbortFailed(ILogger logger, string name, ulong epoch, string server, StatusCode code, string detail);

    [LoggerMessage(EventId = 32, EventName = "CommitLost", Level = LogLevel.Error, Message = "Commit of '{Name}' epoch {Epoch} on {Server} (position {Position}) found its staged writes dropped there ({Detail}); the position is marked stale")]
    private static partial void LogCommitLost(ILogger logger, string name, ulong epoch, string server, int position, string detail);

    [LoggerMessage(EventId = 30, EventName = "CommitFailed", Level = LogLevel.Warning, Message = "Commit of '{Name}' epoch {Epoch} on {Server} failed ({Code}: {Detail}); it stays pending and is applied when a holder's call reaches that server")]
    private static partial void LogCommitFailed(ILogger logger, string name, ulong epoch, string server, StatusCode code, string detail);
}
