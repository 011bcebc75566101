using System.Diagnostics;
using Pfs.Client.Caching;
using Pfs.Client.Diagnostics;
using Pfs.Client.Striping;
using Pfs.Client.Transport;
using Pfs.Protocol;
using Pfs.Protocol.Meta;

namespace Pfs.Client;

/// <summary>
/// An open Pfs file. Reads and writes go through the client's block cache; a writer's changes
/// reach the file servers on eviction and, at the latest, when it is closed.
/// </summary>
public sealed partial class PfsFile : IAsyncDisposable
{
    private readonly PfsClient _client;
    private readonly FileLayout _layout;
    private readonly ulong _handle;
    private readonly PfsOpenMode _mode;
    // Serializes a writer's operations (their cache updates are read-modify-write) and closes.
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly IntervalSet _dirtied = new();
    private readonly BlockWriter _writer;
    private readonly ReadAhead? _readAhead;
    private long _size;
    private int _closed;
    private int _lost;
    private string _lostReason = RestartedReason;

    internal PfsFile(PfsClient client, FileLayout layout, ulong handle, PfsOpenMode mode, long size)
    {
        _client = client;
        _layout = layout;
        _handle = handle;
        _mode = mode;
        _size = size;
        _writer = client.CreateWriter(layout);
        _readAhead = mode == PfsOpenMode.Read && ReadAhead.Applies(layout, client.Cache, client.Options)
            ? new ReadAhead(layout, client.Cache, client.Transport, _writer, client.Options)
            : null;
    }

    /// <summary>The file's path as it was opened (a rename or unlink since does not change it).</summary>
    public string Name => _layout.Name;

    /// <summary>How the file was opened.</summary>
    internal PfsOpenMode Mode => _mode;

    /// <summary>The size as this open sees it: a writer's own view includes its unflushed writes.</summary>
    internal long Size => Interlocked.Read(ref _size);

    internal FileLayout Layout => _layout;

    /// <summary>The metadata server's handle of this open.</summary>
    internal ulong Handle => _handle;

    /// <summary>The run of the metadata server that granted this open.</summary>
    internal ulong ServerInstance { get; init; }

    /// <summary>The id this client gave the open (what Release names).</summary>
    internal ulong OpenId { get; init; }

    /// <summary>
    /// Reads up to <c>buffer.Length</c> bytes at <paramref name="offset"/>. Returns fewer only at
    /// the end of the file, and 0 at or past it. Never-written holes read as zeros.
    /// </summary>
    public async ValueTask<int> ReadAsync(Memory<byte> buffer, long offset, CancellationToken cancellationToken = default)
    {
        ThrowIfClosed();
        if (offset < 0)
        {
            throw PfsErrors.InvalidArgument($"offset {offset} must not be negative");
        }

        if (buffer.IsEmpty)
        {
            return 0;
        }

        var serialized = _mode == PfsOpenMode.Write;
        if (serialized)
        {
            await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        try
        {
            ThrowIfClosed();
            var size = Size;
            if (offset >= size)
            {
                return 0;
            }

            var count = (int)Math.Min(buffer.Length, size - offset);
            using var activity = PfsTelemetry.Source.StartActivity("pfs.read");
            Tag(activity, offset, count);
            await ReadCoreAsync(buffer[..count], offset, size, cancellationToken).ConfigureAwait(false);
            return count;
        }
        finally
        {
            if (serialized)
            {
                _gate.Release();
            }
        }
    }

    /// <summary>
    /// Writes all of <paramref name="buffer"/> at <paramref name="offset"/>, growing the file if
    /// needed. Throws <see cref="PfsErrorCode.WrongMode"/> on a file opened for reading.
    /// </summary>
    public async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, long offset, CancellationToken cancellationToken = default)
    {
        ThrowIfClosed();
        if (_mode != PfsOpenMode.Write)
        {
            throw new PfsException(PfsErrorCode.WrongMode, $"'{Name}' is open for reading; open it with PfsOpenMode.Write to write");
        }

        if (offset < 0)
        {
            throw PfsErrors.InvalidArgument($"offset {offset} must not be negative");
        }

        if (buffer.IsEmpty)
        {
            return;
        }

        var end = offset + buffer.Length;
        var lastBlock = (end - 1) / _layout.BlockSize;
        if (end < offset || StripeMath.LocalOffset(lastBlock, _layout.Width, _layout.BlockSize) + _layout.BlockSize > PfsLimits.MaxObjectBytes)
        {
            throw PfsErrors.InvalidArgument(
                $"a write ending at byte {end} is past the largest size a file of stripe width {_layout.Width} can have");
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ThrowIfClosed();
            using var activity = PfsTelemetry.Source.StartActivity("pfs.write");
            Tag(activity, offset, buffer.Length);
            await SendUnsentCutAsync(cancellationToken).ConfigureAwait(false);
            await WriteCoreAsync(buffer, offset, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// The file as the metadata server knows it (found by inode, so also after a rename or an unlink); for
    /// a writer, with its own view of the size. Its <see cref="PfsFileInfo.Name"/> is a current path ("" once unlinked).
    /// </summary>
    public async Task<PfsFileInfo> StatAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfClosed();
        var reply = await _client.StatCallAsync($"stat '{Name}'", new StatRequest { Base = _layout.FileId }, cancellationToken).ConfigureAwait(false);
        var info = PfsClient.ToInfo(reply.File);
        return _mode == PfsOpenMode.Write ? info with { Size = _lengthSet ? Size : Math.Max(info.Size, Size) } : info;
    }

    /// <summary>
    /// Flushes dirty blocks to the file servers (durably), tells the metadata server which blocks
    /// changed so other clients drop them, and releases the lock. Closing twice is harmless; if
    /// it fails the file stays open and the close may be tried again.
    /// </summary>
    public async ValueTask CloseAsync()
    {
        if (!await BeginEndingAsync().ConfigureAwait(false))
        {
            return;
        }

        try
        {
            if (Volatile.Read(ref _lost) != 0)
            {
                MarkClosed();
                throw Lost();
            }

            using var activity = PfsTelemetry.Source.StartActivity("pfs.close");
            activity?.SetTag("pfs.file", Name);

            var request = new CloseRequest { ClientId = _client.Options.ClientId, Handle = _handle };
            if (_mode == PfsOpenMode.Write)
            {
                // With the notice stream down the metadata server may have restarted, taking this
                // open's lock with it; only the next Hello tells. Flushing before then would put
                // unannounced bytes over committed ones, so wait for it (the file stays open if
                // it does not come).
                if (!await _client.WaitForSessionAsync().ConfigureAwait(false))
                {
                    throw new PfsException(PfsErrorCode.Unavailable,
                        $"close '{Name}': the metadata server could not be reached within {_client.Options.OperationTimeout.TotalSeconds:0.#} s; the file stays open");
                }

                if (Volatile.Read(ref _lost) != 0)
                {
                    MarkClosed();
                    throw Lost();
                }

                try
                {
                    await SendUnsentCutAsync(CancellationToken.None).ConfigureAwait(false);
                    await _writer.FlushAsync(WrittenServers()).ConfigureAwait(false);
                }
                catch (PfsException ex) when (ex.Code == PfsErrorCode.Closed)
                {
                    // A file server refused the writes as a finished writer's (FailedPrecondition): this open's lock ended
                    // (its lease ran out while this client was stopped or cut off) and a newer writer has been there since.
                    // Nothing of it may land, through this open or a later one of this client (they share the cache),
                    // and what it wrote is no longer the file's content: drop it all, and stop renewing the open.
                    await _writer.AbandonAsync().ConfigureAwait(false);
                    MarkClosed();
                    await ReleaseQuietlyAsync().ConfigureAwait(false);
                    throw new PfsException(PfsErrorCode.Closed,
                        $"close '{Name}': this open was fenced (its lock ended while this client could not reach the metadata server, and another writer has written the file since); its writes were discarded", ex);
                }
                request.Size = Size;
                request.SizeExact = _lengthSet;
                foreach (var (start, count) in _dirtied.Ranges())
                {
                    request.Dirty.Add(new BlockRange { Start = start, Count = count });
                }

                request.WrittenServers.AddRange(WrittenServers());
                if (_layout.Parity > 0)
                {
                    request.MissedPositions.AddRange(_layout.UnusablePositions());
                }

                request.RepairedPositions.AddRange(_layout.RepairedPositions());

                activity?.SetTag("pfs.block.dirtied", _dirtied.TotalLength);
            }

            try
            {
                await PfsClient.CallMetaAsync($"close '{Name}'", () => _client.Meta.CloseAsync(
                    request, _client.Bounded()).ResponseAsync, CancellationToken.None).ConfigureAwait(false);
            }
            catch (PfsException ex) when (ex.Code is PfsErrorCode.NotFound or PfsErrorCode.Closed)
            {
                // The server no longer knows this open (its lease ran out, or it restarted). Its blocks sit flushed in stages
                // that are never committed: the cache must not go on serving them as the file's bytes.
                if (_mode == PfsOpenMode.Write)
                {
                    await _writer.AbandonAsync().ConfigureAwait(false);
                }

                MarkClosed();
                throw new PfsException(PfsErrorCode.Closed,
                    $"close '{Name}': the metadata server no longer holds this open (lease expired or server restarted)", ex);
            }

            MarkClosed();
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Same as <see cref="CloseAsync"/>.</summary>
    public ValueTask DisposeAsync() => CloseAsync();

    /// <summary>
    /// Ends the open without committing, and releases the lock. A writer's writes since it opened are discarded,
    /// here and on the file servers (where they free their space at once), and the file stays as it was before the
    /// open. For a writer whose close keeps failing (a file server out of space or out of reach) or a write given up.
    /// Aborting a closed file is harmless; if the metadata server cannot be told, this throws and the abort may be
    /// tried again (the writes are discarded either way). If it refuses (PermissionDenied: the identity was revoked),
    /// the file is closed here all the same, and its lock goes with the client's lease.
    /// </summary>
    public async ValueTask AbortAsync()
    {
        if (!await BeginEndingAsync().ConfigureAwait(false))
        {
            return;
        }

        try
        {
            if (_mode == PfsOpenMode.Write)
            {
                // Nothing of it may land from now on; write-backs in flight end first, so none reaches a server
                // after its stage is dropped.
                await _writer.AbandonAsync().ConfigureAwait(false);
            }

            if (Volatile.Read(ref _lost) == 0)
            {
                await _client.ReleaseOpenAsync(OpenId, $"abort '{Name}'").ConfigureAwait(false);
            }

            MarkClosed();
        }
        catch (PfsException ex) when (ex.Code == PfsErrorCode.PermissionDenied)
        {
            // Refused for good (this identity was revoked): the metadata server ends the open with the client's lease,
            // so there is nothing left to try here.
            MarkClosed();
            throw;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// For a close or an abort: takes the gate and ends the read-ahead (before the lock goes: a block fetched ahead
    /// that lands after a writer got in could be stale). False, with the gate not held, if the file is closed already.
    /// </summary>
    private async ValueTask<bool> BeginEndingAsync()
    {
        if (Volatile.Read(ref _closed) != 0)
        {
            return false;
        }

        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (Volatile.Read(ref _closed) != 0)
            {
                _gate.Release();
                return false;
            }

            if (_readAhead is not null)
            {
                await _readAhead.DisposeAsync().ConfigureAwait(false);
            }

            return true;
        }
        catch
        {
            _gate.Release();
            throw;
        }
    }

    /// <summary>
    /// A seekable <see cref="Stream"/> over this file, starting at position 0, for
    /// <c>CopyToAsync</c>, <c>StreamReader</c>, compression streams and the like. Its
    /// <see cref="Stream.Length"/> is this open's view of the size; writes at or past it grow the
    /// file. It is read-only (<see cref="Stream.CanWrite"/> false) when the file is open for
    /// <see cref="PfsOpenMode.Read"/>, and like any <see cref="Stream"/> not for concurrent use.
    /// Failures surface as <see cref="PfsException"/> (an <see cref="IOException"/>).
    /// </summary>
    /// <param name="leaveOpen">
    /// True (the default): disposing the stream leaves this file open, and its owner closes it.
    /// False: disposing the stream closes the file (flushing a writer's blocks).
    /// </param>
    public Stream AsStream(bool leaveOpen = true) => new PfsFileStream(this, _mode, leaveOpen);

    private void MarkClosed()
    {
        Volatile.Write(ref _closed, 1);
        _client.Forget(this);
    }

    private void ThrowIfClosed()
    {
        if (Volatile.Read(ref _closed) != 0)
        {
            throw new PfsException(PfsErrorCode.Closed, $"'{Name}' is closed");
        }

        if (Volatile.Read(ref _lost) != 0)
        {
            throw Lost();
        }
    }

    private const string RestartedReason = "the metadata server restarted, so this open and its lock are gone";

    /// <summary>This open's lock no longer exists: the metadata server restarted, or (with <paramref name="reason"/>) it forgot the open.</summary>
    internal void MarkLost(string? reason = null)
    {
        if (Interlocked.Exchange(ref _lost, 1) == 0)
        {
            _lostReason = reason ?? RestartedReason;
            if (_mode == PfsOpenMode.Write)
            {
                // Its unflushed writes must never land.
                _writer.Discard();
            }
        }
    }

    private PfsException Lost() => new(PfsErrorCode.Closed,
        $"'{Name}': {_lostReason}" + (_mode == PfsOpenMode.Write ? "; writes not yet closed were discarded" : string.Empty));

    // Tells the metadata server this open is done, should it still know it; it frees the open with the client's lease anyway.
    private async Task ReleaseQuietlyAsync()
    {
        try
        {
            await _client.ReleaseOpenAsync(OpenId, $"release '{Name}'").ConfigureAwait(false);
        }
        catch (PfsException)
        {
            // Not known there any more (the usual case), or out of reach.
        }
    }

    private void Tag(Activity? activity, long offset, int count)
    {
        activity?.SetTag("pfs.file", Name);
        activity?.SetTag("pfs.offset", offset);
        activity?.SetTag("pfs.bytes", count);
        activity?.SetTag("pfs.stripe.width", _layout.Width);
    }

    internal static (long Index, ReadOnlyMemory<byte> Bytes) BlockOf(FileLayout layout, ServerCall call, int run, int k, ReadOnlyMemory<byte> data, long size)
    {
        var index = call.Runs[run].FirstBlock + ((long)k * layout.Width);
        var start = k * layout.BlockSize;
        var valid = (int)Math.Clamp(size - (index * layout.BlockSize), 0, layout.BlockSize);
        var length = Math.Clamp(data.Length - start, 0, valid);
        return (index, data.Slice(Math.Min(start, data.Length), length));
    }
}
