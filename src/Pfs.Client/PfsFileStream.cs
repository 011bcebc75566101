using System.Buffers;

namespace Pfs.Client;

/// <summary>
/// A <see cref="Stream"/> view of an open <see cref="PfsFile"/> (see <see cref="PfsFile.AsStream"/>):
/// a position over the file's positional reads and writes. The sync members run the async path,
/// which never needs the caller's synchronization context (the client awaits with ConfigureAwait(false)).
/// </summary>
internal sealed class PfsFileStream : Stream
{
    // Large enough that a copy keeps every server of a wide stripe busy, small enough to rent.
    private const int MinCopyChunk = 1024 * 1024;
    private const int MaxCopyChunk = 8 * 1024 * 1024;

    private readonly PfsFile _file;
    private readonly bool _writable;
    private readonly bool _leaveOpen;
    private long _position;
    private bool _disposed;

    public PfsFileStream(PfsFile file, PfsOpenMode mode, bool leaveOpen)
    {
        _file = file;
        _writable = mode == PfsOpenMode.Write;
        _leaveOpen = leaveOpen;
    }

    public override bool CanRead => !_disposed;

    public override bool CanSeek => !_disposed;

    public override bool CanWrite => !_disposed && _writable;

    public override long Length
    {
        get
        {
            ThrowIfDisposed();
            return _file.Size;
        }
    }

    public override long Position
    {
        get
        {
            ThrowIfDisposed();
            return _position;
        }
        set
        {
            ThrowIfDisposed();
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _position = value;
        }
    }

    public override long Seek(long offset, SeekOrigin origin)
    {
        ThrowIfDisposed();
        var origin0 = origin switch
        {
            SeekOrigin.Begin => 0,
            SeekOrigin.Current => _position,
            SeekOrigin.End => _file.Size,
            _ => throw new ArgumentException($"unknown seek origin {origin}", nameof(origin)),
        };
        var target = origin0 + offset;
        if ((offset > 0 && target < origin0) || target < 0)
        {
            throw new IOException($"cannot seek to {origin0} + {offset}: before the start of '{_file.Name}' or past the largest offset");
        }

        _position = target;
        return target;
    }

    /// <summary>Cuts or extends the file (<see cref="PfsFile.SetLengthAsync"/>); the position stays where it is.</summary>
    public override void SetLength(long value)
    {
        ThrowIfDisposed();
        if (!_writable)
        {
            throw new NotSupportedException($"'{_file.Name}' is open for reading; its length cannot be changed through this stream");
        }

        _file.SetLengthAsync(value).GetAwaiter().GetResult();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        var read = await _file.ReadAsync(buffer, _position, cancellationToken).ConfigureAwait(false);
        _position += read;
        return read;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    public override int Read(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        return ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
    }

    public override int Read(Span<byte> buffer)
    {
        var rented = ArrayPool<byte>.Shared.Rent(buffer.Length);
        try
        {
            var read = ReadAsync(rented.AsMemory(0, buffer.Length)).AsTask().GetAwaiter().GetResult();
            rented.AsSpan(0, read).CopyTo(buffer);
            return read;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        if (!_writable)
        {
            throw new NotSupportedException($"'{_file.Name}' is open for reading: this stream is read-only");
        }

        await _file.WriteAsync(buffer, _position, cancellationToken).ConfigureAwait(false);
        _position += buffer.Length;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        ValidateBufferArguments(buffer, offset, count);
        return WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();
    }

    public override void Write(byte[] buffer, int offset, int count)
    {
        ValidateBufferArguments(buffer, offset, count);
        WriteAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        var rented = ArrayPool<byte>.Shared.Rent(buffer.Length);
        try
        {
            buffer.CopyTo(rented);
            WriteAsync(rented.AsMemory(0, buffer.Length)).AsTask().GetAwaiter().GetResult();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    public override async Task CopyToAsync(Stream destination, int bufferSize, CancellationToken cancellationToken)
    {
        ValidateCopyToArguments(destination, bufferSize);
        ThrowIfDisposed();
        var stripe = (long)_file.Layout.BlockSize * _file.Layout.Width;
        var chunk = Math.Max(bufferSize, (int)Math.Clamp(stripe, MinCopyChunk, MaxCopyChunk));
        var buffer = ArrayPool<byte>.Shared.Rent(chunk);
        try
        {
            int read;
            while ((read = await ReadAsync(buffer.AsMemory(0, chunk), cancellationToken).ConfigureAwait(false)) > 0)
            {
                await destination.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Nothing to do: blocks reach the file servers on eviction and at the file's close.</summary>
    public override void Flush()
    {
    }

    public override Task FlushAsync(CancellationToken cancellationToken) =>
        cancellationToken.IsCancellationRequested ? Task.FromCanceled(cancellationToken) : Task.CompletedTask;

    public override async ValueTask DisposeAsync()
    {
        if (!_disposed)
        {
            _disposed = true;
            if (!_leaveOpen)
            {
                await _file.CloseAsync().ConfigureAwait(false);
            }
        }

        // Stream's DisposeAsync runs Dispose(), which finds the stream disposed and only suppresses finalization.
        await base.DisposeAsync().ConfigureAwait(false);
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            _disposed = true;
            if (!_leaveOpen)
            {
                _file.CloseAsync().AsTask().GetAwaiter().GetResult();
            }
        }

        base.Dispose(disposing);
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);
}
