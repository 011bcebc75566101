using System.Collections.Concurrent;
using Grpc.Core;
using Grpc.Net.Client;
using Pfs.Client.Security;
using Pfs.Protocol.Meta;

namespace Pfs.Client.Transport;

/// <summary>
/// The client's end of the namespace stream (protos/metadata.proto, <c>Pipe</c>): the per-name calls sent as
/// messages of one long-lived stream, each matched to its reply by id. A unary call costs an HTTP/2 stream of
/// its own on both sides; a message costs a frame each way.
/// <para>
/// A call behaves as the unary call it replaces: it waits for a server that is restarting (the stream is
/// opened once the channel is connected, within the call's time), ends with DeadlineExceeded after
/// <see cref="PfsClientOptions.OperationTimeout"/>, and a failure is the RpcException the unary call would
/// have ended with. A request the stream broke under before it was written goes on a new stream (until the
/// deadline); one written when the stream broke fails as Unavailable, as a unary call in flight does. A stream is
/// replaced when the headers it was opened with (the client's session or its identity's token) change.
/// </para>
/// </summary>
internal sealed class MetaPipe : IAsyncDisposable
{
    private readonly MetaService.MetaServiceClient _meta;
    private readonly GrpcChannel _channel;
    private readonly Func<Metadata?> _headers;
    private readonly ClientAuthentication? _authentication;
    private readonly long _timeoutMs;
    private readonly Timer _sweep;
    private readonly SemaphoreSlim _opening = new(1, 1);
    private readonly CancellationTokenSource _disposing = new();
    // Every stream whose replies may still come (the current one and retired ones), for the deadline sweep.
    private readonly ConcurrentDictionary<Stream, byte> _live = new();
    private volatile Stream? _stream;
    private long _nextId;

    /// <param name="meta">The client to open the stream with (through the authentication interceptor, if any).</param>
    /// <param name="channel">Its channel, to wait for a connection before a stream is opened.</param>
    /// <param name="headers">The headers a new stream carries (read again at every call: a change opens a new stream).</param>
    /// <param name="authentication">The identity's token keeper, or null for a client without a key.</param>
    /// <param name="timeout">Each call's time.</param>
    public MetaPipe(MetaService.MetaServiceClient meta, GrpcChannel channel, Func<Metadata?> headers, ClientAuthentication? authentication, TimeSpan timeout)
    {
        _meta = meta;
        _channel = channel;
        _headers = headers;
        _authentication = authentication;
        _timeoutMs = Math.Max(1, (long)timeout.TotalMilliseconds);
        // Deadlines are kept by one sweep, not a timer per call: a quarter of the timeout late at most.
        var period = TimeSpan.FromMilliseconds(Math.Clamp(_timeoutMs / 4, 10, 1000));
        _sweep = new Timer(static state => ((MetaPipe)state!).Sweep(), this, period, period);
    }

    /// <summary>True once the server answered a stream with Unimplemented: it has no namespace stream (an older server).</summary>
    public bool Unsupported { get; private set; }

    /// <summary>Sends <paramref name="request"/> (its id is set here) and returns its reply; fails as its unary call would.</summary>
    /// <exception cref="RpcException">The status the call ended with (its reply's error, or the stream's failure).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<PipeReply> CallAsync(PipeRequest request, CancellationToken cancellationToken)
    {
        var deadline = Environment.TickCount64 + _timeoutMs;
        while (true)
        {
            var stream = await CurrentAsync(deadline, cancellationToken).ConfigureAwait(false);
            var id = (ulong)Interlocked.Increment(ref _nextId);
            request.Id = id;
            var pending = new Pending(deadline);
            stream.Pending[id] = pending;
            using (cancellationToken.CanBeCanceled
                ? cancellationToken.UnsafeRegister(static (state, token) => ((Pending)state!).TrySetCanceled(token), pending)
                : default)
            {
                try
                {
                    // The deadline and the caller's cancellation end the wait even while the send still waits (for its
                    // turn, or for HTTP/2 flow control); a request not written by then is never written.
                    var send = stream.SendAsync(request, pending);
                    if (!send.IsCompleted)
                    {
                        await Task.WhenAny(send, pending.Task).ConfigureAwait(false);
                    }

                    if (send.IsCompletedSuccessfully && send.Result == SendOutcome.NotSent && !pending.Task.IsCompleted)
                    {
                        // The stream had ended before the request was written: the server never saw it, so it goes on
                        // a new stream, until the deadline. A stream the server refused says why.
                        if (stream.Failure is { StatusCode: not (StatusCode.Unavailable or StatusCode.Cancelled or StatusCode.Internal) } refused)
                        {
                            throw refused;
                        }

                        if (Environment.TickCount64 >= deadline)
                        {
                            throw DeadlineExceeded();
                        }

                        continue;
                    }

                    // Written (or still being written): its reply, the stream's failure, the deadline or the cancellation ends it.
                    var reply = await pending.Task.ConfigureAwait(false);
                    return reply.ResultCase == PipeReply.ResultOneofCase.Error ? throw ToRpcException(reply.Error) : reply;
                }
                catch (RpcException ex) when (ex.StatusCode == StatusCode.Unavailable && ReferenceEquals(ex, stream.Failure)
                                              && request.CallCase == PipeRequest.CallOneofCase.Stat
                                              && Environment.TickCount64 < deadline && !cancellationToken.IsCancellationRequested)
                {
                    // The stream broke with the request on it (the server died or is restarting). A stat changes nothing,
                    // so running it twice is harmless: it is asked again on the next stream, as the unary call's
                    // wait-for-ready would. A change is not: it fails, as a unary call in flight does.
                    continue;
                }
                catch (RpcException ex) when (ex.StatusCode == StatusCode.Unimplemented && ReferenceEquals(ex, stream.Failure))
                {
                    // The stream itself was refused as unknown (a request's own error is no stream failure).
                    Unsupported = true;
                    throw;
                }
                finally
                {
                    stream.Pending.TryRemove(id, out _);
                }
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _sweep.DisposeAsync().ConfigureAwait(false);
        await _disposing.CancelAsync().ConfigureAwait(false);
        if (_stream is { } stream)
        {
            await stream.RetireAsync().ConfigureAwait(false);
        }

        _disposing.Dispose();
    }

    /// <summary>The unary call's status for a reply's error, with the <c>pfs-error</c> trailer it would carry.</summary>
    private static RpcException ToRpcException(PipeError error)
    {
        var status = new Status((StatusCode)error.Code, error.Detail);
        return error.Error.Length > 0
            ? new RpcException(status, new Metadata { { PfsErrors.ErrorTrailer, error.Error } })
            : new RpcException(status);
    }

    private static RpcException DeadlineExceeded() => new(new Status(StatusCode.DeadlineExceeded, "Deadline Exceeded"));

    private async ValueTask<Stream> CurrentAsync(long deadline, CancellationToken cancellationToken)
    {
        if (_authentication is { } authentication)
        {
            // Renews a token past half its life, as every unary call does; a renewed token opens a new stream.
            await authentication.EnsureTokenAsync(cancellationToken).ConfigureAwait(false);
        }

        return _stream is { } stream && stream.Fits(_headers(), _authentication?.CurrentToken)
            ? stream
            : await OpenAsync(deadline, cancellationToken).ConfigureAwait(false);
    }

    private async Task<Stream> OpenAsync(long deadline, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _disposing.Token);
        limit.CancelAfter(TimeSpan.FromMilliseconds(Math.Max(0, deadline - Environment.TickCount64)));
        try
        {
            await _opening.WaitAsync(limit.Token).ConfigureAwait(false);
            try
            {
                var headers = _headers();
                var token = _authentication?.CurrentToken;
                if (_stream is { } current)
                {
                    if (current.Fits(headers, token))
                    {
                        // Another call opened it meanwhile.
                        return current;
                    }

                    // Its replies still come; new requests go to the new stream.
                    _ = current.RetireAsync();
                }

                // Waits for a server that is (re)starting, as a unary call's wait-for-ready does.
                await _channel.ConnectAsync(limit.Token).ConfigureAwait(false);
                var call = _meta.Pipe(new CallOptions(headers: headers, cancellationToken: _disposing.Token));
                var stream = new Stream(call, headers, token, _live);
                _stream = stream;
                return stream;
            }
            finally
            {
                _opening.Release();
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested && !_disposing.IsCancellationRequested)
        {
            throw DeadlineExceeded();
        }
        catch (OperationCanceledException) when (_disposing.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new RpcException(new Status(StatusCode.Cancelled, "the client is closing"));
        }
    }

    private void Sweep()
    {
        var now = Environment.TickCount64;
        foreach (var stream in _live.Keys)
        {
            foreach (var (id, pending) in stream.Pending)
            {
                if (now >= pending.Deadline && stream.Pending.TryRemove(id, out _))
                {
                    pending.TrySetException(DeadlineExceeded());
                }
            }
        }
    }

    /// <summary>What became of a request given to <see cref="Stream.SendAsync"/>.</summary>
    private enum SendOutcome
    {
        /// <summary>Written to the stream.</summary>
        Sent,

        /// <summary>Never written: the stream had ended (or its write failed), or its caller had given up.</summary>
        NotSent,
    }

    /// <summary>A call waiting for its reply.</summary>
    private sealed class Pending(long deadline) : TaskCompletionSource<PipeReply>(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        public long Deadline { get; } = deadline;
    }

    /// <summary>One open stream: its calls in flight, its writer's turn, and the loop that reads its replies.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "A SemaphoreSlim whose AvailableWaitHandle is never read holds no handle; the call is disposed by the reader when it ends.")]
    private sealed class Stream
    {
        private readonly AsyncDuplexStreamingCall<PipeRequest, PipeReply> _call;
        private readonly Metadata? _headers;
        private readonly object? _token;
        private readonly ConcurrentDictionary<Stream, byte> _live;
        // Never disposed: no wait handle is ever taken from it.
        private readonly SemaphoreSlim _writing = new(1, 1);
        // 1 once nothing more may be sent on it (broken, or retired).
        private int _closed;

        public Stream(AsyncDuplexStreamingCall<PipeRequest, PipeReply> call, Metadata? headers, object? token, ConcurrentDictionary<Stream, byte> live)
        {
            _call = call;
            _headers = headers;
            _token = token;
            _live = live;
            live[this] = 0;
            _ = ReadAsync();
        }

        public ConcurrentDictionary<ulong, Pending> Pending { get; } = new();

        /// <summary>What ended the stream (set before its calls are failed with it); null while it is open.</summary>
        public RpcException? Failure { get; private set; }

        /// <summary>True if a new call may use it: open, and opened with these headers and this token.</summary>
        public bool Fits(Metadata? headers, object? token) =>
            Volatile.Read(ref _closed) == 0 && ReferenceEquals(headers, _headers) && ReferenceEquals(token, _token);

        /// <summary>
        /// Writes <paramref name="request"/> unless the stream has ended or its caller gave up meanwhile (NotSent: the server
        /// never saw it). A write that fails ends the stream, which fails the calls already written to it.
        /// </summary>
        public async Task<SendOutcome> SendAsync(PipeRequest request, Pending pending)
        {
            await _writing.WaitAsync(CancellationToken.None).ConfigureAwait(false);
            try
            {
                if (Volatile.Read(ref _closed) != 0 || pending.Task.IsCompleted)
                {
                    return SendOutcome.NotSent;
                }

                // Not the caller's token: cancelling a write cancels the whole stream, every call on it.
                await _call.RequestStream.WriteAsync(request, CancellationToken.None).ConfigureAwait(false);
                return SendOutcome.Sent;
            }
            catch (Exception ex) when (ex is RpcException or IOException or InvalidOperationException or ObjectDisposedException or OperationCanceledException)
            {
                // The stream had already broken (a write is only taken by a live HTTP/2 stream): the request goes on a
                // new one, as a unary call waits for a restarting server. The broken one is ended here.
                Volatile.Write(ref _closed, 1);
                _call.Dispose();
                return SendOutcome.NotSent;
            }
            finally
            {
                _writing.Release();
            }
        }

        /// <summary>Sends no more: the server answers what it has, then ends the call.</summary>
        public async Task RetireAsync()
        {
            await _writing.WaitAsync(CancellationToken.None).ConfigureAwait(false);
            try
            {
                if (Interlocked.Exchange(ref _closed, 1) == 0)
                {
                    await _call.RequestStream.CompleteAsync().ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is RpcException or IOException or InvalidOperationException or ObjectDisposedException or OperationCanceledException)
            {
                // Already broken: its reader fails what is left.
            }
            finally
            {
                _writing.Release();
            }
        }

        private async Task ReadAsync()
        {
            RpcException? failure = null;
            try
            {
                while (await _call.ResponseStream.MoveNext(CancellationToken.None).ConfigureAwait(false))
                {
                    var reply = _call.ResponseStream.Current;
                    if (Pending.TryRemove(reply.Id, out var pending))
                    {
                        pending.TrySetResult(reply);
                    }
                }
            }
            catch (RpcException ex) when (ex.StatusCode != StatusCode.Cancelled)
            {
                failure = ex;
            }
            catch (Exception ex) when (ex is RpcException or OperationCanceledException)
            {
                // Cancelled by this side: the client is closing, or a write failed and ended the stream.
                failure = new RpcException(new Status(StatusCode.Unavailable, "the stream to the metadata server was ended", ex));
            }
            catch (Exception ex) when (ex is IOException or InvalidOperationException or ObjectDisposedException or HttpRequestException)
            {
                failure = new RpcException(new Status(StatusCode.Unavailable, ex.Message, ex));
            }
            finally
            {
                // Set before the sweep below: a call that finds the stream open has put its entry in first.
                Volatile.Write(ref _closed, 1);
                failure ??= new RpcException(new Status(StatusCode.Unavailable, "the metadata server ended the namespace stream"));
                Failure = failure;
                foreach (var (id, pending) in Pending)
                {
                    if (Pending.TryRemove(id, out _))
                    {
                        pending.TrySetException(failure);
                    }
                }

                _call.Dispose();
                _live.TryRemove(this, out _);
            }
        }
    }
}
