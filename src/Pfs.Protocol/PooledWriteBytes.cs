using System.Buffers;
using Google.Protobuf;
using Grpc.Core;

namespace Pfs.Protocol.FileServer;

/// <summary>
/// A WriteBytes request whose payloads live in one pooled buffer. The generated parser copies every
/// <c>bytes</c> field into a fresh array (1 MiB per block call: a large-object array each, garbage
/// that held a file server's memory well above what it needs); this one copies the message once
/// into a rented buffer and wraps the payloads in place. Disposed when the call's handler returns.
/// </summary>
public sealed class PooledWriteBytes : IDisposable
{
    private byte[]? _buffer;

    private PooledWriteBytes(WriteBytesRequest message, byte[]? buffer)
    {
        Message = message;
        _buffer = buffer;
    }

    /// <summary>The request; its segments' data views the pooled buffer until <see cref="Dispose"/>.</summary>
    public WriteBytesRequest Message { get; }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _buffer, null) is { } buffer)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Parses a serialized WriteBytesRequest as the generated parser would, payloads pooled.</summary>
    public static PooledWriteBytes Parse(ReadOnlySequence<byte> payload)
    {
        if (payload.Length == 0)
        {
            return new PooledWriteBytes(new WriteBytesRequest(), null);
        }

        var buffer = ArrayPool<byte>.Shared.Rent(checked((int)payload.Length));
        payload.CopyTo(buffer);
        var length = (int)payload.Length;
        try
        {
            return new PooledWriteBytes(ParseMessage(buffer, length), buffer);
        }
        catch (FormatException)
        {
            // Malformed: let the generated parser fail (or not) exactly as it always has.
            ArrayPool<byte>.Shared.Return(buffer);
            return new PooledWriteBytes(WriteBytesRequest.Parser.ParseFrom(payload), null);
        }
    }

    /// <summary>The server-side marshaller: requests only arrive.</summary>
    public static readonly Marshaller<PooledWriteBytes> Marshaller = Marshallers.Create<PooledWriteBytes>(
        (_, _) => throw new NotSupportedException("the server never sends a request"),
        context => Parse(context.PayloadAsReadOnlySequence()));

    private static WriteBytesRequest ParseMessage(byte[] buffer, int length)
    {
        var request = new WriteBytesRequest();
        var at = 0;
        while (at < length)
        {
            var tag = ReadTag(buffer, length, ref at);
            switch (tag)
            {
                case (1 << 3) | 2:
                    // Repeated message fields merge, as protobuf's own parser does.
                    request.Object ??= new ObjectId();
                    request.Object.MergeFrom(buffer, Field(buffer, length, ref at, out var objectLength), objectLength);
                    break;
                case (2 << 3) | 2:
                    var start = Field(buffer, length, ref at, out var segmentLength);
                    request.Segments.Add(ParseSegment(buffer, start, start + segmentLength));
                    break;
                case 3 << 3:
                    request.Sync = ReadVarint(buffer, length, ref at) != 0;
                    break;
                case (4 << 3) | 2:
                    request.Capability ??= new Capability();
                    request.Capability.MergeFrom(buffer, Field(buffer, length, ref at, out var capabilityLength), capabilityLength);
                    break;
                default:
                    Skip(buffer, length, ref at, tag);
                    break;
            }
        }

        return request;
    }

    private static WriteSegment ParseSegment(byte[] buffer, int at, int end)
    {
        var segment = new WriteSegment();
        while (at < end)
        {
            var tag = ReadTag(buffer, end, ref at);
            switch (tag)
            {
                case 1 << 3:
                    segment.Offset = (long)ReadVarint(buffer, end, ref at);
                    break;
                case (2 << 3) | 2:
                    var start = Field(buffer, end, ref at, out var dataLength);
                    segment.Data = UnsafeByteOperations.UnsafeWrap(buffer.AsMemory(start, dataLength));
                    break;
                default:
                    Skip(buffer, end, ref at, tag);
                    break;
            }
        }

        return segment;
    }

    // A length-delimited field: returns where its bytes start and moves past them.
    private static int Field(byte[] buffer, int end, ref int at, out int length)
    {
        var declared = ReadVarint(buffer, end, ref at);
        if (declared > (ulong)(end - at))
        {
            throw new FormatException("a field runs past the end of the message");
        }

        length = (int)declared;
        var start = at;
        at += length;
        return start;
    }

    private static void Skip(byte[] buffer, int end, ref int at, ulong tag)
    {
        switch (tag & 7)
        {
            case 0:
                ReadVarint(buffer, end, ref at);
                break;
            case 1:
                Advance(end, ref at, 8);
                break;
            case 2:
                Field(buffer, end, ref at, out _);
                break;
            case 5:
                Advance(end, ref at, 4);
                break;
            default:
                throw new FormatException($"unexpected wire type in tag {tag}");
        }
    }

    private static void Advance(int end, ref int at, int count)
    {
        if (end - at < count)
        {
            throw new FormatException("a field runs past the end of the message");
        }

        at += count;
    }

    // A field tag: protobuf refuses field number 0 and tags beyond 32 bits.
    private static ulong ReadTag(byte[] buffer, int end, ref int at)
    {
        var tag = ReadVarint(buffer, end, ref at);
        return tag >> 3 == 0 || tag > uint.MaxValue ? throw new FormatException($"invalid tag {tag}") : tag;
    }

    private static ulong ReadVarint(byte[] buffer, int end, ref int at)
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (at >= end)
            {
                throw new FormatException("truncated varint");
            }

            var b = buffer[at++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }

        throw new FormatException("malformed varint");
    }
}
