using Grpc.Core;
using Pfs.FileServer.Storage;
using Pfs.Protocol.FileServer;
using Pfs.Tests.Fixtures;
using static Pfs.Tests.Unit.FileServer.BlockStoreTesting;

namespace Pfs.Tests.Unit.FileServer;

// Objects are located by generation alone: a name, however hostile, is a label for logs and never
// part of a path, so nothing is written outside the data directory's stripes.
public sealed class PathSafetyTests : IDisposable
{
    private readonly TempDirectory _parent = new();

    public static TheoryData<string> HostileNames => new()
    {
        "..",
        ".",
        "../x",
        "../../etc/passwd",
        "/etc/passwd",
        "a/b",
        "a\\b",
        "..\\x",
        "a\0b",
        "\0",
        string.Empty,
        new string('x', 300),
        new string('\u00e9', 128),
    };

    public void Dispose() => _parent.Dispose();

    [Theory]
    [MemberData(nameof(HostileNames))]
    public async Task AnyNameIsOnlyALabelAndTheObjectLivesUnderItsGeneration(string name)
    {
        // Arrange
        var store = NewStore(_parent);
        var staged = NewStaged(store);

        // Act
        await staged.WriteBytesAsync(new ObjectKey(name, 0x1234), (0, Bytes("safe")));
        var underAnotherName = await store.ReadBytesAsync(new ObjectKey("any other name", 0x1234), new ObjectRange(0, 4));

        // Assert
        Assert.Equal(Bytes("safe"), underAnotherName[0]);
        Assert.Equal(["data", "data/stripes", "data/stripes/34", "data/stripes/34/0000000000001234", "data/stripes/34/0000000000001234.epoch"], _parent.Tree());
    }

    [Fact]
    public async Task GenerationZeroIsRefusedAndLeavesNoTrace()
    {
        // Arrange
        var store = NewStore(_parent);
        var key = new ObjectKey("fine", 0);

        // Act
        var write = await Assert.ThrowsAsync<BlockStoreException>(() => NewStaged(store).WriteBytesAsync(key, (0, Bytes("evil"))));
        var read = await Assert.ThrowsAsync<BlockStoreException>(() => store.ReadBytesAsync(key, new ObjectRange(0, 4)));
        var delete = Assert.Throws<BlockStoreException>(() => store.Delete(key));

        // Assert
        Assert.All([write, read, delete], ex => Assert.Equal(BlockStoreError.InvalidArgument, ex.Error));
        Assert.Equal(["data", "data/stripes"], _parent.Tree());
    }

    [Theory]
    [MemberData(nameof(HostileNames))]
    public async Task OverGrpcAnyNameWritesOnlyUnderTheGenerationAndGenerationZeroIsInvalidArgument(string name)
    {
        // Arrange
        var service = FileServiceUnderTest.Create(_parent);
        var id = new ObjectId { Name = name, Generation = ulong.MaxValue };
        var zero = new ObjectId { Name = name, Generation = 0 };
        var data = Google.Protobuf.ByteString.CopyFrom(Bytes("data"));

        // Act
        await service.WriteBytes(new WriteBytesRequest { Capability = TestCaps.Write(id), Object = id, Segments = { new WriteSegment { Data = data } } }, new TestServerCallContext());
        var refused = await Assert.ThrowsAsync<RpcException>(() => service.WriteBytes(
            new WriteBytesRequest { Capability = TestCaps.Write(zero), Object = zero, Segments = { new WriteSegment { Data = data } } },
            new TestServerCallContext()));

        // Assert: staged, not yet committed, so the stage and its log sit beside the (missing) object
        Assert.Equal(StatusCode.InvalidArgument, refused.StatusCode);
        Assert.Equal(
            ["data", "data/stripes", "data/stripes/ff", "data/stripes/ff/ffffffffffffffff.epoch", "data/stripes/ff/ffffffffffffffff.stage", "data/stripes/ff/ffffffffffffffff.stage.log"],
            _parent.Tree());
    }
}
