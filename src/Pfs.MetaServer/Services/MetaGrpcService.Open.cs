using System.Diagnostics;
using Grpc.Core;
using Pfs.MetaServer.Errors;
using Pfs.MetaServer.Locking;
using Pfs.MetaServer.Registry;
using Pfs.MetaServer.Sessions;
using Pfs.Protocol.Meta;

namespace Pfs.MetaServer.Services;

internal sealed partial class MetaGrpcService
{
    public override async Task<OpenReply> Open(OpenRequest request, ServerCallContext context)
    {
        var clientId = RequireSession(request.ClientId, context);
        var kind = request.Mode switch
        {
            LockMode.Read => LockKind.Read,
            LockMode.Write => LockKind.Write,
            _ => throw MetaException.InvalidArgument($"mode {request.Mode} must be READ or WRITE"),
        };
        var target = _names.LookupFile(request.Base, request.Name);
        var fileId = target.Node.Id;

        using var entry = _opens.BeginPending(clientId, request.OpenId, target.Path, fileId, kind, context.CancellationToken);
        var lease = await WaitForLockAsync(entry, context.CancellationToken).ConfigureAwait(false);

        // A delete may have won the race between the lookup above and the wait. (An unlink may have
        // taken the name meanwhile: the open still succeeds, as it resolved the name first.)
        if (_names.FindFile(fileId) is not { Node: FileNode current } found)
        {
            _opens.Forget(entry);
            lease.Release();
            throw MetaException.NotFound(target.Path);
        }

        if (!_opens.TryHold(entry, lease))
        {
            lease.Release();
            throw MetaException.Cancelled($"open {entry.OpenId} was released");
        }

        _leases.CheckClient(clientId);

        // Read after the grant: every writer before us queued its notices before releasing the lock.
        var (sessionId, noticeSeq) = _sessions.GetNoticePosition(clientId);
        if (context.CancellationToken.IsCancellationRequested)
        {
            EndHeld(clientId, entry.OpenId);
            throw MetaException.Cancelled("the call was cancelled");
        }

        var write = kind == LockKind.Write;
        var fence = write && _epochs.Granted(current.Id);
        // Readers get an epoch too: a file server drops a stage older than the caller's lock that the
        // capability does not name as committed, since that writer's lock ended before this one began.
        entry.Epoch = _epochs.Next();
        return new OpenReply
        {
            Handle = entry.Handle,
            File = (found with { Path = target.Path }).ToFileInfo(),
            SessionId = sessionId,
            NoticeSeq = noticeSeq,
            Capability = _signer.Sign(target.Path, current.Id, write, entry.Epoch, clientId, current.PendingCommits),
            Fence = fence,
            ServerInstance = _instance.Id,
        };
    }

    public override Task<ReleaseReply> Release(ReleaseRequest request, ServerCallContext context)
    {
        var clientId = RequireSession(request.ClientId, context);
        var (outcome, entry) = _opens.Release(clientId, request.OpenId);
        LogReleased(_logger, clientId, request.OpenId, outcome);
        switch (outcome)
        {
            case ReleaseOutcome.CancelWait:
                CancelWait(entry!);
                return Task.FromResult(new ReleaseReply { Released = true });
            case ReleaseOutcome.ReleaseLock:
                entry!.Lease?.Release();
                if (entry.Kind == LockKind.Write && entry.Epoch != 0 && _names.FindFile(entry.FileId)?.Node is FileNode file)
                {
                    // A writer that gave up (PfsFile.AbortAsync, or an open whose answer was lost): what it staged is
                    // dropped on every server now, so the space it holds comes back at once (a disk that filled up
                    // under it), as when a lease ends. Its epoch is fenced there already.
                    _ = _committer.AbortAsync(file, entry.Name, entry.Epoch);
                }

                return Task.FromResult(new ReleaseReply { Released = true });
            case ReleaseOutcome.Expired:
                throw new MetaException(MetaErrorCode.LeaseExpired, $"lease expired: open {request.OpenId} was already released");
            default:
                return Task.FromResult(new ReleaseReply { Released = false });
        }
    }

    /// <summary>Waits for the entry's lock; on any failure the entry is forgotten and nothing is held.</summary>
    private async Task<LockLease> WaitForLockAsync(OpenEntry entry, CancellationToken callCancelled)
    {
        using var activity = MetaServerTelemetry.Source.StartActivity("pfs.meta.lock_wait");
        activity?.SetTag("pfs.file.name", entry.Name);
        activity?.SetTag("pfs.lock.mode", entry.Kind == LockKind.Write ? "write" : "read");
        var started = Stopwatch.GetTimestamp();
        try
        {
            var lease = await _locks.AcquireAsync(entry.FileId, entry.Kind, entry.WaitCancellation.Token).ConfigureAwait(false);
            var waitedMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            activity?.SetTag("pfs.lock.waited_ms", waitedMs);
            LogGranted(_logger, entry.ClientId, entry.Kind, entry.Name, waitedMs);
            return lease;
        }
        catch (OperationCanceledException)
        {
            _opens.Forget(entry);
            activity?.SetStatus(ActivityStatusCode.Error, "cancelled");
            throw callCancelled.IsCancellationRequested
                ? MetaException.Cancelled("the call was cancelled")
                : MetaException.Cancelled($"open {entry.OpenId} was released");
        }
        catch (MetaException ex)
        {
            // Failed by a delete of the file: NotFound.
            _opens.Forget(entry);
            activity?.SetStatus(ActivityStatusCode.Error, ex.Message);
            throw;
        }
    }

    private void EndHeld(string clientId, ulong openId)
    {
        var (outcome, entry) = _opens.Release(clientId, openId);
        if (outcome == ReleaseOutcome.ReleaseLock)
        {
            entry!.Lease?.Release();
        }
    }

    private static void CancelWait(OpenEntry entry)
    {
        try
        {
            entry.WaitCancellation.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The open already finished; it saw the entry released and let go of its lock itself.
        }
    }
}
