using System.Buffers;
using Google.Protobuf;
using Grpc.Core;
using Pfs.Protocol;
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
    private static readonly ulong DataTag = ProtoWire.Tag(1, ProtoWire.LengthDelimited);

    // repeated fixed32 sums = 2; repeated int64 damaged = 3 (packed, or one per tag).
    private static readonly ulong PackedSumsTag = ProtoWire.Tag(2, ProtoWire.LengthDelimited);
    private static readonly ulong SumTag = ProtoWire.Tag(2, ProtoWire.Fixed32);
    private static readonly ulong PackedDamagedTag = ProtoWire.Tag(3, ProtoWire.LengthDelimited);
    private static readonly ulong DamagedTag = ProtoWire.Tag(3, 0);

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
        // One copy of the whole message into a pooled buffer; the ranges are views of it.
        var length = checked((int)payload.Length);
        var buffer = length == 0 ? null : ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var data = new List<ReadOnlyMemory<byte>>();
            var sums = new Google.Protobuf.Collections.RepeatedField<uint>();
            var damaged = new List<long>();
            if (buffer is not null)
            {
                payload.CopyTo(buffer);
                var message = buffer.AsSpan(0, length);
                var at = 0;
                while (at < length)
                {
                    var tag = ProtoWire.ReadTag(message, ref at);
                    if (tag == DataTag)
                    {
                        var start = ProtoWire.ReadLengthDelimited(message, ref at, out var size);
                        data.Add(buffer.AsMemory(start, size));
                    }
                    else if (tag == PackedSumsTag || tag == SumTag)
                    {
                        ProtoWire.ReadRepeatedFixed32(message, ref at, tag, sums);
                    }
                    else if (tag == DamagedTag)
                    {
                        damaged.Add((long)ProtoWire.ReadVarint(message, ref at));
                    }
                    else if (tag == PackedDamagedTag)
                    {
                        var start = ProtoWire.ReadLengthDelimited(message, ref at, out var size);
                        for (var p = start; p < start + size;)
                        {
                            damaged.Add((long)ProtoWire.ReadVarint(message[..(start + size)], ref p));
                        }
                    }
                    else
                    {
                        ProtoWire.Skip(message, ref at, tag);
                    }
                }
            }

            var reply = new PooledReadReply(buffer, data) { Sums = [.. sums], Damaged = damaged };
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
}
