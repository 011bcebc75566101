using System.Buffers;
using CsCheck;
using Google.Protobuf;
using Pfs.Protocol.FileServer;

namespace Pfs.Tests.Unit.FileServer;

public sealed class PooledWriteBytesTests
{
    private static readonly Gen<WriteBytesRequest> Requests =
        Gen.Select(
            Gen.String[0, 20],
            Gen.ULong,
            Gen.Select(Gen.Long, Gen.Byte.Array[0, 600], Gen.UInt.Array[0, 3]).Array[0, 5],
            Gen.Bool,
            Gen.ULong.Array[0, 3],
            Gen.Select(Gen.Bool, Gen.OneOf(Gen.Long, Gen.Long[-2, 2], Gen.Const(long.MinValue), Gen.Const(long.MaxValue))),
            Gen.OneOf(Gen.Const(0), Gen.Int[0, 1 << 26]))
        .Select((name, generation, segments, sync, committed, truncate, checksumBlock) =>
        {
            var request = new WriteBytesRequest
            {
                Object = new ObjectId { Name = name, Generation = generation },
                Sync = sync,
                Capability = new Capability { Name = name, Generation = generation, Write = true, Epoch = generation ^ 7, ClientId = "c", Mac = ByteString.CopyFrom(1, 2, 3), Committed = { committed } },
                ChecksumBlock = checksumBlock,
            };

            // Optional: absent and 0 are different requests (no cut, a cut to nothing).
            if (truncate.Item1)
            {
                request.Truncate = truncate.Item2;
            }
            foreach (var (offset, data, sums) in segments)
            {
                request.Segments.Add(new WriteSegment { Offset = offset, Data = ByteString.CopyFrom(data), Sums = { sums } });
            }

            return request;
        });

    [Fact]
    public void ParsesWhatTheGeneratedParserParses()
    {
        Requests.Sample(request =>
        {
            var bytes = request.ToByteArray();
            using var pooled = PooledWriteBytes.Parse(new ReadOnlySequence<byte>(bytes));
            Assert.Equal(request, pooled.Message);
            Assert.Equal(WriteBytesRequest.Parser.ParseFrom(bytes), pooled.Message);
            Assert.Equal(request.HasTruncate, pooled.Message.HasTruncate);
        });
    }

    [Fact]
    public void UnknownFieldsAreSkippedAndRepeatedMessageFieldsMerge()
    {
        // Field 9 (unknown varint), then the object in two parts, as protobuf allows.
        var first = new WriteBytesRequest { Object = new ObjectId { Name = "n" } }.ToByteArray();
        var second = new WriteBytesRequest { Object = new ObjectId { Generation = 4 }, Segments = { new WriteSegment { Offset = 3, Data = ByteString.CopyFromUtf8("abc") } } }.ToByteArray();
        byte[] bytes = [(9 << 3) | 0, 0x96, 0x01, .. first, .. second];

        using var pooled = PooledWriteBytes.Parse(new ReadOnlySequence<byte>(bytes));

        // The generated parser keeps the unknown field for re-serializing; a server has no use for it.
        var generated = WriteBytesRequest.Parser.ParseFrom(bytes);
        Assert.Equal(generated.ToString(), pooled.Message.ToString());
        Assert.Equal(generated.Segments, pooled.Message.Segments);
        Assert.Equal(new ObjectId { Name = "n", Generation = 4 }, pooled.Message.Object);
        Assert.Equal("abc", pooled.Message.Segments[0].Data.ToStringUtf8());
    }

    [Fact]
    public void ATruncateToZeroIsPresentAndADefaultRequestHasNone()
    {
        // Arrange
        var cut = new WriteBytesRequest { Truncate = 0 }.ToByteArray();
        var none = new WriteBytesRequest { Sync = true }.ToByteArray();

        // Act
        using var parsedCut = PooledWriteBytes.Parse(new ReadOnlySequence<byte>(cut));
        using var parsedNone = PooledWriteBytes.Parse(new ReadOnlySequence<byte>(none));

        // Assert
        Assert.True(parsedCut.Message.HasTruncate);
        Assert.Equal(0, parsedCut.Message.Truncate);
        Assert.False(parsedNone.Message.HasTruncate);
    }

    [Fact]
    public void MalformedBytesFailAsWithTheGeneratedParser()
    {
        Gen.Byte.Array[1, 64].Sample(bytes =>
        {
            var expected = Record.Exception(() => WriteBytesRequest.Parser.ParseFrom(bytes));
            var actual = Record.Exception(() => PooledWriteBytes.Parse(new ReadOnlySequence<byte>(bytes)).Dispose());
            Assert.Equal(expected?.GetType(), actual?.GetType());
        }, iter: 20_000);
    }
}
