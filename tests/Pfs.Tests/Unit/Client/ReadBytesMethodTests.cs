using System.Buffers;
using Google.Protobuf;
using Pfs.Client.Transport;
using Pfs.Protocol.FileServer;
using Pfs.Tests.Fixtures;

namespace Pfs.Tests.Unit.Client;

public sealed class ReadBytesMethodTests
{
    [Fact]
    public void PooledParserReadsWhatProtobufWrote()
    {
        var ranges = new[] { TestData.Bytes(1000, seed: 1), [], TestData.Bytes(200_000, seed: 2), [7] };
        var reply = new ReadBytesReply();
        foreach (var range in ranges)
        {
            reply.Data.Add(ByteString.CopyFrom(range));
        }

        using var parsed = ReadBytesMethod.ParseReply(new ReadOnlySequence<byte>(reply.ToByteArray()));

        Assert.Equal(ranges.Length, parsed.Data.Count);
        for (var i = 0; i < ranges.Length; i++)
        {
            Assert.Equal(ranges[i], parsed.Data[i].ToArray());
        }
    }

    [Fact]
    public void PooledParserSkipsUnknownFieldsAndReadsAcrossSegments()
    {
        var stream = new MemoryStream();
        var output = new CodedOutputStream(stream);
        output.WriteTag(9, WireFormat.WireType.Varint);
        output.WriteUInt64(300);
        output.WriteTag(1, WireFormat.WireType.LengthDelimited);
        output.WriteBytes(ByteString.CopyFrom(TestData.Bytes(5000, seed: 3)));
        output.WriteTag(10, WireFormat.WireType.LengthDelimited);
        output.WriteString("later field");
        output.WriteTag(11, WireFormat.WireType.Fixed64);
        output.WriteFixed64(1);
        output.WriteTag(12, WireFormat.WireType.Fixed32);
        output.WriteFixed32(1);
        output.Flush();
        var bytes = stream.ToArray();

        using var parsed = ReadBytesMethod.ParseReply(Split(bytes, 3, 1000, 4097));

        Assert.Equal(TestData.Bytes(5000, seed: 3), Assert.Single(parsed.Data).ToArray());
    }

    [Fact]
    public void PooledParserRefusesATruncatedReply()
    {
        var reply = new ReadBytesReply { Data = { ByteString.CopyFrom(new byte[100]) } };
        var bytes = reply.ToByteArray();

        Assert.Throws<InvalidDataException>(() => ReadBytesMethod.ParseReply(new ReadOnlySequence<byte>(bytes.AsMemory(0, 50))));
    }

    [Fact]
    public void EmptyReplyHasNoRanges()
    {
        using var parsed = ReadBytesMethod.ParseReply(ReadOnlySequence<byte>.Empty);

        Assert.Empty(parsed.Data);
    }

    private static ReadOnlySequence<byte> Split(byte[] bytes, params int[] cuts)
    {
        var first = new Segment(bytes.AsMemory(0, cuts[0]), 0);
        var last = first;
        for (var i = 0; i < cuts.Length; i++)
        {
            var end = i + 1 < cuts.Length ? cuts[i + 1] : bytes.Length;
            last = last.Append(bytes.AsMemory(cuts[i], end - cuts[i]));
        }

        return new ReadOnlySequence<byte>(first, 0, last, last.Memory.Length);
    }

    private sealed class Segment : ReadOnlySequenceSegment<byte>
    {
        public Segment(ReadOnlyMemory<byte> memory, long runningIndex)
        {
            Memory = memory;
            RunningIndex = runningIndex;
        }

        public Segment Append(ReadOnlyMemory<byte> memory)
        {
            var next = new Segment(memory, RunningIndex + Memory.Length);
            Next = next;
            return next;
        }
    }
}
