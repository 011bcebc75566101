using System.Buffers;
using Google.Protobuf;
using Grpc.Core;
using Pfs.Protocol.FileServer;

namespace Pfs.Client.Transport;

/// <summary>
/// FileService.ReadBytes with a reply parser of our own: the same bytes on the wire as the
/// generated client (same service and method names, so the channel's retry policy applies
/// too), but every range of a reply is copied into one pooled buffer (see <see cref="PooledReadReply"/>).
/// </summary>
internal static class ReadBytesMethod
{
    // ReadBytesReply: repeated bytes data = 1.
    private const uint DataTag = (1 << 3) | 2;

    public static readonly Method<ReadBytesRequest, PooledReadReply> Method = new(
        MethodType.Unary,
        FileService.Descriptor.FullName,
        "ReadBytes",
        Marshallers.Create<ReadBytesRequest>(SerializeRequest, context => ReadBytesRequest.Parser.ParseFrom(context.PayloadAsReadOnlySequence())),
        Marshallers.Create<PooledReadReply>((_, _) => throw new NotSupportedException("the client never sends a reply"), ParseReply));

    private static void SerializeRequest(ReadBytesRequest request, SerializationContext context)
    {
        context.SetPayloadLength(request.CalculateSize());
        request.WriteTo(context.GetBufferWriter());
        context.Complete();
    }

    /// <summary>Parses a serialized ReadBytesReply; unknown fields are skipped as protobuf would.</summary>
    internal static PooledReadReply ParseReply(DeserializationContext context) => ParseReply(context.PayloadAsReadOnlySequence());

    internal static PooledReadReply ParseReply(ReadOnlySequence<byte> payload)
    {
        var reader = new SequenceReader<byte>(payload);
        var data = new List<ReadOnlyMemory<byte>>();
        // The ranges together are never longer than the message that carries them.
        var buffer = payload.Length == 0 ? null : ArrayPool<byte>.Shared.Rent(checked((int)payload.Length));
        var used = 0;
        try
        {
            while (!reader.End)
            {
                var tag = (uint)ReadVarint(ref reader);
                if (tag == DataTag)
                {
                    var length = ReadLength(ref reader);
                    var target = buffer.AsSpan(used, length);
                    reader.TryCopyTo(target);
                    reader.Advance(length);
                    data.Add(buffer.AsMemory(used, length));
                    used += length;
                }
                else
                {
                    Skip(ref reader, tag);
                }
            }

            var reply = new PooledReadReply(buffer, data);
            buffer = null;
            return reply;
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }
        }
    }

    private static void Skip(ref SequenceReader<byte> reader, uint tag)
    {
        switch (tag & 7)
        {
            case 0:
                ReadVarint(ref reader);
                break;
            case 1:
                Advance(ref reader, 8);
                break;
            case 2:
                Advance(ref reader, ReadLength(ref reader));
                break;
            case 5:
                Advance(ref reader, 4);
                break;
            default:
                throw new InvalidDataException($"ReadBytesReply: unexpected wire type in tag {tag}");
        }
    }

    private static void Advance(ref SequenceReader<byte> reader, int count)
    {
        if (reader.Remaining < count)
        {
            throw new InvalidDataException("ReadBytesReply: a field runs past the end of the message");
        }

        reader.Advance(count);
    }

    private static int ReadLength(ref SequenceReader<byte> reader)
    {
        var length = ReadVarint(ref reader);
        if (length > (ulong)reader.Remaining)
        {
            throw new InvalidDataException("ReadBytesReply: a field runs past the end of the message");
        }

        return (int)length;
    }

    private static ulong ReadVarint(ref SequenceReader<byte> reader)
    {
        ulong value = 0;
        for (var shift = 0; shift < 64; shift += 7)
        {
            if (!reader.TryRead(out var b))
            {
                throw new InvalidDataException("ReadBytesReply: truncated varint");
            }

            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80)
            {
                return value;
            }
        }

        throw new InvalidDataException("ReadBytesReply: malformed varint");
    }
}
