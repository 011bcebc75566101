using System.Diagnostics;
using System.Net.Sockets;
using Grpc.Core;
using Pfs.Client.Transport;
using Pfs.Protocol.Meta;
using Pfs.Protocol.Transport;

namespace Pfs.Client;

/// <summary>
/// The invalidation stream. Notices arrive in seq order within a session; an open waits until
/// the notices the server had queued for this client by the time the lock was granted have
/// been applied. If the stream breaks, notices may have been missed, so every clean cached
/// block is dropped (when the break is seen, and again once the new session starts).
/// </summary>
public sealed partial class PfsClient
{
    private readonly Lock _noticeGate = new();
    private readonly List<(ulong Seq, TaskCompletionSource<bool> Waiter)> _catchUpWaiters = [];
    private readonly TaskCompletionSource _firstHello = new(TaskCreationOptions.RunContinuationsAsynchronously);
    // Completed while a session is up, and only after a Hello has marked the opens a restart lost.
    private TaskCompletionSource _sessionUp = new(TaskCreationOptions.RunContinuationsAsynchronously);
    // Why the metadata server refuses a new session (this identity was revoked, its key no longer taken), while it
    // does; null once a session is up again.
    private volatile string? _sessionRefused;
    private Task? _noticeLoop;
    private ulong _sessionId;
    private ulong _appliedSeq;
    private ulong _serverInstance;

    /// <summary>Number of notice sessions so far (1 after connect; more after reconnects).</summary>
    // Read only by tests: that the stream came back is not observable through the public API.
    internal int SessionCount { get; private set; }

    /// <summary>Whether a notice session is up now (false from a broken stream until the next Hello).</summary>
    // Read only by tests: that the stream broke is not observable through the public API.
    internal bool IsSubscribed
    {
        get
        {
            lock (_noticeGate)
            {
                return _sessionId != 0;
            }
        }
    }

    /// <summary>
    /// How long a connect keeps trying while every attempt is refused outright (nothing listens on
    /// the port): long enough for a server that is just starting, well within the contract's 5 s.
    /// </summary>
    private static readonly TimeSpan RefusedFor = TimeSpan.FromSeconds(2);

    private async Task StartNoticesAsync(CancellationToken cancellationToken)
    {
        _noticeLoop = Task.Run(() => RunNoticesAsync(_disposing.Token), CancellationToken.None);
        try
        {
            await _firstHello.Task.WaitAsync(Options.OperationTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (TimeoutException ex)
        {
            throw new PfsException(PfsErrorCode.Unavailable,
                $"metadata server {Options.MetaServer} could not be reached within {Options.OperationTimeout.TotalSeconds:0.#} s", ex);
        }
    }

    /// <summary>
    /// Before the first session: fails the connect once every attempt for <see cref="RefusedFor"/> was
    /// refused outright, or named a host that does not exist, rather than waiting out the operation
    /// timeout for a server that is not there; and at once if the two ends do not agree on TLS.
    /// </summary>
    private void NoteFailedAttempt(RpcException error, ref long refusedSince)
    {
        if (_firstHello.Task.IsCompleted)
        {
            return;
        }

        if (TlsMismatch.Describe(error) is { } mismatch)
        {
            // The same at every attempt: say so now, not after the operation timeout.
            _firstHello.TrySetException(new PfsException(PfsErrorCode.Unavailable, $"metadata server {Options.MetaServer} {mismatch}", error));
            return;
        }

        if (Refusal(error) is not { } refusal)
        {
            refusedSince = 0;
            return;
        }

        var now = Stopwatch.GetTimestamp();
        if (refusedSince == 0)
        {
            refusedSince = now;
        }
        else if (Stopwatch.GetElapsedTime(refusedSince, now) >= RefusedFor)
        {
            _firstHello.TrySetException(new PfsException(PfsErrorCode.Unavailable, $"metadata server {Options.MetaServer} {refusal}", error));
        }
    }

    /// <summary>Why an attempt failed, if waiting longer will not help: nothing listens there, or no such host.</summary>
    private static string? Refusal(RpcException error)
    {
        for (Exception? cause = error.Status.DebugException; cause is not null; cause = cause.InnerException)
        {
            switch (cause)
            {
                case SocketException { SocketErrorCode: SocketError.ConnectionRefused }:
                    return "refused the connection (is it running, and on that port?)";
                case SocketException { SocketErrorCode: SocketError.HostNotFound or SocketError.NoData }:
                    return $"cannot be reached: {cause.Message}";
            }
        }

        return null;
    }

    private async Task StopNoticesAsync()
    {
        if (_noticeLoop is { } loop)
        {
            await loop.ConfigureAwait(false);
        }
    }

    private async Task RunNoticesAsync(CancellationToken stopping)
    {
        var backoff = TimeSpan.FromMilliseconds(50);
        long refusedSince = 0;
        while (!stopping.IsCancellationRequested)
        {
            try
            {
                using var call = Meta.Subscribe(new SubscribeRequest
                {
                    ClientId = Options.ClientId,
                    NamespaceNotices = Options.NoticeObserver?.WantsNamespaceNotices ?? false,
                }, headers: _callHeaders, cancellationToken: stopping);
                await foreach (var notice in call.ResponseStream.ReadAllAsync(stopping).ConfigureAwait(false))
                {
                    Apply(notice);
                    backoff = TimeSpan.FromMilliseconds(50);
                }

                Log.NoticeStreamEnded(Logger, "the server ended it");
            }
            catch (RpcException ex) when (ex.StatusCode == StatusCode.PermissionDenied && !_firstHello.Task.IsCompleted)
            {
                // No key, or one the cluster does not take: ConnectAsync says so at once rather than timing out.
                _firstHello.TrySetException(PfsErrors.FromRpc(ex, $"connect to {Options.MetaServer}"));
                break;
            }
            catch (RpcException ex) when (!stopping.IsCancellationRequested)
            {
                if (ex.StatusCode == StatusCode.PermissionDenied)
                {
                    // No session can come up until that changes: a close waiting for one fails now, saying why.
                    _sessionRefused = ex.Status.Detail;
                    lock (_noticeGate)
                    {
                        if (_sessionUp.Task.IsCompleted)
                        {
                            _sessionUp = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                        }

                        _sessionUp.TrySetException(new PfsException(PfsErrorCode.PermissionDenied, ex.Status.Detail));
                        // Observed here: nobody may be waiting.
                        _ = _sessionUp.Task.Exception;
                    }
                }

                Log.NoticeStreamEnded(Logger, $"{ex.StatusCode}: {ex.Status.Detail}");
                NoteFailedAttempt(ex, ref refusedSince);
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                break;
            }
            catch (RpcException) when (stopping.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex) when (!stopping.IsCancellationRequested)
            {
                // Anything else (a notice this client failed to apply, a transport fault gRPC did not wrap) must
                // not end the loop: with no loop there is never a session again, and every writer's close waits
                // for one. What was missed is unknown, so this is a lost session like any other.
                Log.NoticeStreamFailed(Logger, ex);
            }

            SessionLost();
            try
            {
                await Task.Delay(backoff, stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                break;
            }

            backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromSeconds(2).Ticks));
        }

        SessionLost();
    }

    private void Apply(Notice notice)
    {
        switch (notice.KindCase)
        {
            case Notice.KindOneofCase.Hello:
                if (!notice.Hello.SessionToken.IsEmpty && !notice.Hello.SessionToken.Span.SequenceEqual(_sessionToken))
                {
                    // The server bound another token to this session (one that does not take the client's own).
                    _sessionToken = notice.Hello.SessionToken.ToByteArray();
                    _callHeaders = CallHeaders(Options.ClientId, _sessionToken);
                }

                // Blocks cached while no session was up may have missed their notices.
                Cache.DropAllClean();
                bool restarted;
                lock (_noticeGate)
                {
                    _sessionId = notice.Hello.SessionId;
                    _appliedSeq = 0;
                    SessionCount++;
                    restarted = _serverInstance != 0 && notice.Hello.ServerInstance != _serverInstance;
                    _serverInstance = notice.Hello.ServerInstance;
                }

                if (restarted)
                {
                    // A new server knows none of the opens made with the old one: their locks are
                    // gone, so their unflushed writes must never reach the file servers.
                    foreach (var file in _openFiles.Keys.Where(f => f.ServerInstance != notice.Hello.ServerInstance))
                    {
                        file.MarkLost();
                    }
                }

                lock (_noticeGate)
                {
                    if (_sessionId == notice.Hello.SessionId)
                    {
                        _sessionRefused = null;
                        if (_sessionUp.Task.IsFaulted)
                        {
                            _sessionUp = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                        }

                        _sessionUp.TrySetResult();
                    }
                }

                Options.NoticeObserver?.OnNotice(notice);
                _firstHello.TrySetResult();
                return;
            case Notice.KindOneofCase.Invalidate:
                Cache.Invalidate(notice.Invalidate.FileId, notice.Invalidate.Blocks.Select(r => (r.Start, r.Count)));
                break;
            case Notice.KindOneofCase.Deleted:
                Cache.DropFile(notice.Deleted.FileId);
                break;
            case Notice.KindOneofCase.Stale:
                // Opens made before the positions went stale stop reading them (cached blocks stay: they are good).
                foreach (var file in _openFiles.Keys.Where(f => f.Layout.FileId == notice.Stale.FileId))
                {
                    file.Layout.MarkStale(notice.Stale.Positions);
                }

                break;
            default:
                break;
        }

        // Before the waiters below are let go: an open that caught up sees the observer's effects too.
        Options.NoticeObserver?.OnNotice(notice);
        List<TaskCompletionSource<bool>>? caughtUp = null;
        lock (_noticeGate)
        {
            _appliedSeq = Math.Max(_appliedSeq, notice.Seq);
            for (var i = _catchUpWaiters.Count - 1; i >= 0; i--)
            {
                if (_catchUpWaiters[i].Seq <= _appliedSeq)
                {
                    (caughtUp ??= []).Add(_catchUpWaiters[i].Waiter);
                    _catchUpWaiters.RemoveAt(i);
                }
            }
        }

        caughtUp?.ForEach(w => w.TrySetResult(true));
    }

    private void SessionLost()
    {
        List<TaskCompletionSource<bool>> waiters;
        lock (_noticeGate)
        {
            _sessionId = 0;
            if (_sessionUp.Task.IsCompletedSuccessfully)
            {
                _sessionUp = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            waiters = [.. _catchUpWaiters.Select(w => w.Waiter)];
            _catchUpWaiters.Clear();
        }

        Cache.DropAllClean();
        Options.NoticeObserver?.OnSessionLost();
        waiters.ForEach(w => w.TrySetResult(false));
    }

    /// <summary>
    /// Waits, up to the operation timeout, until a notice session is up, so that a restart of the
    /// metadata server while the stream was down is known (and its lost opens marked) before the
    /// caller acts on an open. False if no session came up in time; PermissionDenied at once if the
    /// metadata server refuses one (this client's identity was revoked).
    /// </summary>
    internal async Task<bool> WaitForSessionAsync()
    {
        Task up;
        lock (_noticeGate)
        {
            up = _sessionUp.Task;
        }

        try
        {
            await up.WaitAsync(Options.OperationTimeout).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
        catch (PfsException) when (_sessionRefused is { } refused)
        {
            // Refused, not out of reach: waiting longer changes nothing.
            throw new PfsException(PfsErrorCode.PermissionDenied, refused);
        }
    }

    /// <summary>
    /// Waits until the notices up to <paramref name="seq"/> of session <paramref name="sessionId"/>
    /// are applied. False if that cannot happen (another session, or the stream broke): the
    /// caller must then distrust what is cached of the file.
    /// </summary>
    private async Task<bool> CatchUpAsync(ulong sessionId, ulong seq)
    {
        TaskCompletionSource<bool> waiter;
        lock (_noticeGate)
        {
            if (sessionId == 0 || sessionId != _sessionId)
            {
                return false;
            }

            if (_appliedSeq >= seq)
            {
                return true;
            }

            waiter = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            _catchUpWaiters.Add((seq, waiter));
        }

        try
        {
            return await waiter.Task.WaitAsync(Options.OperationTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            lock (_noticeGate)
            {
                _catchUpWaiters.RemoveAll(w => ReferenceEquals(w.Waiter, waiter));
            }

            return false;
        }
    }
}
