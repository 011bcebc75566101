using System.Buffers;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Pfs.Fuse.Protocol;

namespace Pfs.Fuse.Session;

internal sealed partial class FuseSession
{
    private const int StackReplyLimit = 512;

    internal void ReplyError(FuseRequest request, int errno) => Send(request, -errno, []);

    internal void ReplyEmpty(FuseRequest request) => Send(request, 0, []);

    internal void ReplyStruct<T>(FuseRequest request, in T value)
        where T : unmanaged
    {
        Send(request, 0, MemoryMarshal.AsBytes(new ReadOnlySpan<T>(in value)));
    }

    /// <summary>Answers with a payload already in <see cref="FuseRequest.ReplyBuffer"/> after the room for the header.</summary>
    internal void ReplyPrepared(FuseRequest request, int payloadLength)
    {
        var buffer = request.ReplyBuffer ?? throw new InvalidOperationException("The request has no reply buffer.");
        if (payloadLength < 0 || payloadLength > request.ReplyCapacity)
            throw new FuseException(Errno.EIO, $"{request.Opcode} handler answered {payloadLength} bytes for a buffer of {request.ReplyCapacity}");
        var message = buffer.AsSpan(0, OutHeader.WireSize + payloadLength);
        var header = new OutHeader { Len = (uint)message.Length, Error = 0, Unique = request.Unique };
        MemoryMarshal.Write(message, in header);
        Write(request, message);
    }

    /// <summary>Rents a reply buffer for a payload of up to <paramref name="payloadSize"/> bytes, with room for the header in front.</summary>
    internal Memory<byte> RentReplyPayload(FuseRequest request, int payloadSize)
    {
        var total = OutHeader.WireSize + payloadSize;
        if (total <= SmallRequestLimit)
        {
            request.ReplyBuffer = ArrayPool<byte>.Shared.Rent(total);
            request.ReplyBufferIsPooled = false;
        }
        else
        {
            if (total > _buffers.BufferSize)
                throw new FuseException(Errno.EINVAL, $"{request.Opcode} asks for {payloadSize} bytes, more than the negotiated maximum");
            request.ReplyBuffer = _buffers.Rent();
            request.ReplyBufferIsPooled = true;
        }
        request.ReplyCapacity = payloadSize;
        return request.ReplyBuffer.AsMemory(OutHeader.WireSize, payloadSize);
    }

    /// <summary>Answers with a header and payload in one write.</summary>
    internal void Send(FuseRequest request, int error, ReadOnlySpan<byte> payload)
    {
        var length = OutHeader.WireSize + payload.Length;
        byte[]? rented = null;
        Span<byte> message = length <= StackReplyLimit
            ? stackalloc byte[StackReplyLimit]
            : (rented = ArrayPool<byte>.Shared.Rent(length));
        message = message[..length];
        var header = new OutHeader { Len = (uint)length, Error = error, Unique = request.Unique };
        MemoryMarshal.Write(message, in header);
        payload.CopyTo(message[OutHeader.WireSize..]);
        Write(request, message);
        if (rented is not null)
            ArrayPool<byte>.Shared.Return(rented);
    }

    private void Write(FuseRequest request, ReadOnlySpan<byte> message)
    {
        int errno;
        try
        {
            errno = _channel.Write(message);
        }
        catch (ObjectDisposedException)
        {
            return;
        }
        if (errno == 0)
            return;
        // ENOENT: the kernel no longer waits for this request (it was interrupted and given up, or
        // the caller died); ENODEV: the session is over. Neither is a fault of the file system.
        if (errno is Errno.ENOENT or Errno.ENODEV)
            return;
        Log.ReplyFailed(_logger, request.Opcode.ToString(), request.Unique, errno);
    }

    internal static int SizeOf<T>()
        where T : unmanaged => Unsafe.SizeOf<T>();
}
