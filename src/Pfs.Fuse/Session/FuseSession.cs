using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Pfs.Fuse.Protocol;

namespace Pfs.Fuse.Session;

/// <summary>
/// The request loop of one FUSE connection: several dedicated threads block in read(2) on the
/// channel, each request is dispatched at once to its async handler on the thread that read it,
/// and each reply goes back in one write(2). INTERRUPT cancels the handler's token; the session
/// ends when the kernel answers a read with ENODEV or ECONNABORTED (unmount), after the handlers in flight finish.
/// </summary>
internal sealed partial class FuseSession
{
    /// <summary>Requests up to this size are copied out of the reader's buffer, so the reader keeps it.</summary>
    internal const int SmallRequestLimit = 16 * 1024;

    /// <summary>Room for the in header and the largest fixed argument in front of the data of a WRITE.</summary>
    internal const int HeaderRoom = 4096;

    private readonly FuseFileSystem _fs;
    private readonly FuseChannel _channel;
    private readonly FuseMountOptions _options;
    private readonly ILogger _logger;
    private readonly bool[] _implemented;
    private readonly bool _overridesRelease;
    private readonly bool _overridesReleaseDir;
    private readonly BufferPool _buffers;
    private readonly ConcurrentDictionary<ulong, FuseRequest> _inFlight = new();
    private readonly TaskCompletionSource<FuseKernelInfo> _initialized = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // One count for the readers as a whole plus one per request in flight; the session is over
    // when it drops to zero.
    private int _outstanding = 1;
    private int _liveReaders;
    private int _destroyed;
    private volatile bool _ending;
    private Exception? _fault;

    public FuseSession(FuseFileSystem fs, FuseChannel channel, FuseMountOptions options, ILogger logger)
    {
        _fs = fs;
        _channel = channel;
        _options = options;
        _logger = logger;
        _implemented = FindImplemented(fs);
        _overridesRelease = Overrides(fs, nameof(FuseFileSystem.ReleaseAsync));
        _overridesReleaseDir = Overrides(fs, nameof(FuseFileSystem.ReleaseDirAsync));
        _buffers = new BufferPool(options.MaxWrite + HeaderRoom, retain: options.ReaderThreads * 2 + 16);
    }

    /// <summary>Completes with the settled parameters once INIT is answered.</summary>
    public Task<FuseKernelInfo> Initialized => _initialized.Task;

    /// <summary>Completes when the kernel ended the session and every handler finished; faults if a reader failed.</summary>
    public Task Completion => _completion.Task;

    public FuseKernelInfo? Kernel { get; private set; }

    /// <summary>Starts the reader threads.</summary>
    public void Start()
    {
        _liveReaders = _options.ReaderThreads;
        for (var i = 0; i < _options.ReaderThreads; i++)
        {
            // Dedicated threads: they spend their life blocked in read(2), which would starve the pool.
            new Thread(ReaderLoop) { IsBackground = true, Name = $"fuse-reader-{i}" }.Start();
        }
    }

    private void ReaderLoop()
    {
        var buffer = _buffers.Rent();
        try
        {
            while (true)
            {
                var n = _channel.Read(buffer);
                if (n < 0)
                {
                    var errno = -n;
                    // ENOENT: the request was interrupted before it could be read; EINTR/EAGAIN: try again.
                    if (errno is Errno.EINTR or Errno.EAGAIN or Errno.ENOENT)
                        continue;
                    // ENODEV: the session is over. ECONNABORTED: it ended while this read was taking a
                    // request off the queue (an unmount racing the last RELEASE or FORGET), or it was
                    // aborted; either way it is over, not broken.
                    if (errno is not (Errno.ENODEV or Errno.ECONNABORTED))
                    {
                        Interlocked.CompareExchange(ref _fault, new IOException($"read from the FUSE device failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})"), null);
                        Log.ReaderFailed(_logger, errno);
                    }
                    return;
                }
                if (n < InHeader.WireSize)
                {
                    Log.BadRequest(_logger, n, 0);
                    continue;
                }
                var header = MemoryMarshal.Read<InHeader>(buffer);
                if (header.Len != n)
                {
                    Log.BadRequest(_logger, n, header.Len);
                    continue;
                }
                FuseRequest request;
                if (n <= SmallRequestLimit)
                {
                    var copy = ArrayPool<byte>.Shared.Rent(n);
                    buffer.AsSpan(0, n).CopyTo(copy);
                    request = new FuseRequest(copy, n, isPooledBuffer: false, header);
                }
                else
                {
                    // Large (WRITE) requests keep the buffer they arrived in: zero copy to the handler.
                    request = new FuseRequest(buffer, n, isPooledBuffer: true, header);
                    buffer = _buffers.Rent();
                }
                Dispatch(request);
            }
        }
        catch (Exception e)
        {
            Interlocked.CompareExchange(ref _fault, e, null);
            Log.ReaderCrashed(_logger, e);
        }
        finally
        {
            _buffers.Return(buffer);
            if (Interlocked.Decrement(ref _liveReaders) == 0)
                BeginEnd();
        }
    }

    /// <summary>Handles one request: the session's own opcodes here, the rest through the file system.</summary>
    internal void Dispatch(FuseRequest request)
    {
        switch (request.Opcode)
        {
            case FuseOpcode.Init:
                HandleInit(request);
                return;
            case FuseOpcode.Forget:
                HandleForget(request);
                return;
            case FuseOpcode.BatchForget:
                HandleBatchForget(request);
                return;
            case FuseOpcode.Interrupt:
                HandleInterrupt(request);
                return;
            case FuseOpcode.Destroy:
                ReplyEmpty(request);
                Release(request);
                CallDestroy();
                return;
        }

        var opcode = (uint)request.Opcode;
        if (opcode >= _implemented.Length || !_implemented[opcode])
        {
            ReplyError(request, Errno.ENOSYS);
            Release(request);
            return;
        }

        Interlocked.Increment(ref _outstanding);
        request.Cancellation = new CancellationTokenSource();
        _inFlight[request.Unique] = request;
        if (_ending)
            request.Cancellation.Cancel();

        ValueTask pending;
        try
        {
            pending = Handle(request);
        }
        catch (Exception e)
        {
            pending = ValueTask.FromException(e);
        }
        if (pending.IsCompletedSuccessfully)
            Finish(request);
        else
            _ = FinishAsync(request, pending);
    }

    private async Task FinishAsync(FuseRequest request, ValueTask pending)
    {
        try
        {
            await pending.ConfigureAwait(false);
        }
        catch (Exception e)
        {
            ReplyError(request, ErrnoOf(request, e));
        }
        Finish(request);
    }

    private void Finish(FuseRequest request)
    {
        _inFlight.TryRemove(request.Unique, out _);
        Release(request);
        if (Interlocked.Decrement(ref _outstanding) == 0)
            End();
    }

    private void Release(FuseRequest request)
    {
        if (request.IsPooledBuffer)
            _buffers.Return(request.Buffer);
        else
            ArrayPool<byte>.Shared.Return(request.Buffer);
        if (request.ReplyBuffer is { } reply)
        {
            request.ReplyBuffer = null;
            if (request.ReplyBufferIsPooled)
                _buffers.Return(reply);
            else
                ArrayPool<byte>.Shared.Return(reply);
        }
    }

    private int ErrnoOf(FuseRequest request, Exception e)
    {
        switch (e)
        {
            case FuseException fuse:
                return fuse.Errno;
            case OperationCanceledException when request.Cancellation?.IsCancellationRequested == true:
                return Errno.EINTR;
            default:
                Log.HandlerFailed(_logger, request.Opcode.ToString(), request.NodeId, e);
                return Errno.EIO;
        }
    }

    /// <summary>The last reader saw the end: cancel what is in flight and wait for it.</summary>
    private void BeginEnd()
    {
        _ending = true;
        foreach (var request in _inFlight.Values)
            CancelQuietly(request);
        _initialized.TrySetException(_fault ?? new IOException("The FUSE session ended before INIT."));
        if (Interlocked.Decrement(ref _outstanding) == 0)
            End();
    }

    private void End()
    {
        CallDestroy();
        _channel.Dispose();
        Log.SessionEnded(_logger);
        if (_fault is { } fault)
            _completion.TrySetException(fault);
        else
            _completion.TrySetResult();
    }

    private void CallDestroy()
    {
        if (Interlocked.Exchange(ref _destroyed, 1) != 0)
            return;
        try
        {
            _fs.Destroy();
        }
        catch (Exception e)
        {
            Log.HandlerFailed(_logger, nameof(FuseOpcode.Destroy), 0, e);
        }
    }

    private void CancelQuietly(FuseRequest request)
    {
        try
        {
            request.Cancellation?.Cancel();
        }
        catch (Exception e)
        {
            // A callback registered by a handler threw; the request still gets its answer.
            Log.HandlerFailed(_logger, request.Opcode.ToString(), request.NodeId, e);
        }
    }
}
