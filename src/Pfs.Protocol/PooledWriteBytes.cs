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
        catch (InvalidDataException)
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

    private static readonly ulong ObjectTag = ProtoWire.Tag(1, ProtoWire.LengthDelimited);
    private static readonly ulong SegmentTag = ProtoWire.Tag(2, ProtoWire.LengthDelimited);
    private static readonly ulong SyncTag = ProtoWire.Tag(3, 0);
    private static readonly ulong CapabilityTag = ProtoWire.Tag(4, ProtoWire.LengthDelimited);
    private static readonly ulong TruncateTag = ProtoWire.Tag(5, 0);
    private static readonly ulong ChecksumBlockTag = ProtoWire.Tag(6, 0);
    private static readonly ulong OffsetTag = ProtoWire.Tag(1, 0);
    private static readonly ulong DataTag = ProtoWire.Tag(2, ProtoWire.LengthDelimited);
    private static readonly ulong PackedSumsTag = ProtoWire.Tag(3, ProtoWire.LengthDelimited);
    private static readonly ulong SumTag = ProtoWire.Tag(3, ProtoWire.Fixed32);

    private static WriteBytesRequest ParseMessage(byte[] buffer, int length)
    {
        var message = buffer.AsSpan(0, length);
        var request = new WriteBytesRequest();
        var at = 0;
        while (at < length)
        {
            var tag = ProtoWire.ReadTag(message, ref at);
            if (tag == ObjectTag)
            {
                // Repeated message fields merge, as protobuf's own parser does.
                var start = ProtoWire.ReadLengthDelimited(message, ref at, out var size);
                request.Object ??= new ObjectId();
                request.Object.MergeFrom(buffer, start, size);
            }
            else if (tag == SegmentTag)
            {
                var start = ProtoWire.ReadLengthDelimited(message, ref at, out var size);
                request.Segments.Add(ParseSegment(buffer, start, size));
            }
            else if (tag == SyncTag)
            {
                request.Sync = ProtoWire.ReadVarint(message, ref at) != 0;
            }
            else if (tag == CapabilityTag)
            {
                var start = ProtoWire.ReadLengthDelimited(message, ref at, out var size);
                request.Capability ??= new Capability();
                request.Capability.MergeFrom(buffer, start, size);
            }
            else if (tag == TruncateTag)
            {
                // int64 travels as its two's complement in a varint, so a negative value is 10 bytes.
                request.Truncate = (long)ProtoWire.ReadVarint(message, ref at);
            }
            else if (tag == ChecksumBlockTag)
            {
                request.ChecksumBlock = (int)ProtoWire.ReadVarint(message, ref at);
            }
            else
            {
                ProtoWire.Skip(message, ref at, tag);
            }
        }

        return request;
    }

    private static WriteSegment ParseSegment(byte[] buffer, int offset, int length)
    {
        // Positions are relative to the segment's own bytes; payloads are wrapped where they lie.
        var field = buffer.AsSpan(offset, length);
        var segment = new WriteSegment();
        var at = 0;
        while (at < length)
        {
            var tag = ProtoWire.ReadTag(field, ref at);
            if (tag == OffsetTag)
            {
                segment.Offset = (long)ProtoWire.ReadVarint(field, ref at);
            }
            else if (tag == DataTag)
            {
                var start = ProtoWire.ReadLengthDelimited(field, ref at, out var size);
                segment.Data = UnsafeByteOperations.UnsafeWrap(buffer.AsMemory(offset + start, size));
            }
            else if (tag == PackedSumsTag || tag == SumTag)
            {
                ProtoWire.ReadRepeatedFixed32(field, ref at, tag, segment.Sums);
            }
            else
            {
                ProtoWire.Skip(field, ref at, tag);
            }
        }

        return segment;
    }
}
