using Grpc.Core;
using Pfs.FileServer.Storage;
using Pfs.Protocol.FileServer;
using static Pfs.Tests.Unit.FileServer.BlockStoreTesting;

using Pfs.Tests.Fixtures;

namespace Pfs.Tests.Unit.FileServer;

public sealed class PathSafetyTests : IDisposable
{
    private readonly TempDirectory _parent = new();

    public static TheoryData<string, ulong> HostileObjects => new()
    {
        { "..", 1 },
        { ".", 1 },
        { "../x", 1 },
        { "../../etc/passwd", 1 },
        { "/etc/passwd", 1 },
        { "a/b", 1 },
        { "a\\b", 1 },
        { "..\\x", 1 },
        { "a\0b", 1 },
        { "\0", 1 },
        { string.Empty, 1 },
        { new string('x', 300), 1 },
        { new string('\u00e9', 128), 1 },
        { "fine", 0 },
    };

    public void Dispose() => _parent.Dispose();

    [Theory]
    [MemberData(nameof(HostileObjects))]
    public async Task HostileNamesAreRefusedByTheStoreAndLeaveNoTrace(string name, ulong generation)
    {
        // Arrange
        var store = NewStore(_parent);
        var key = new ObjectKey(name, generation);

        // Act
        var write = await Assert.ThrowsAsync<BlockStoreException>(() => NewStaged(store).WriteBytesAsync(key, (0, Bytes("evil"))));
        var read = await Assert.ThrowsAsync<BlockStoreException>(() => store.ReadBytesAsync(key, new ObjectRange(0, 4)));
        var delete = Assert.Throws<BlockStoreException>(() => store.Delete(key));

        // Assert
        Assert.All([write, read, delete], ex => Assert.Equal(BlockStoreError.InvalidArgument, ex.Error));
        Assert.Equal(["data", "data/objects"], _parent.Tree());
    }

    [Theory]
    [MemberData(nameof(HostileObjects))]
    public async Task HostileNamesAreRefusedOverGrpcWithInvalidArgument(string name, ulong generation)
    {
        // Arrange
        var service = FileServiceUnderTest.Create(_parent);
        var id = new ObjectId { Name = name, Generation = generation };
        var context = new TestServerCallContext();

        // Act
        var write = await Assert.ThrowsAsync<RpcException>(() => service.WriteBytes(
            new WriteBytesRequest { Capability = TestCaps.Write(id), Object = id, Segments = { new WriteSegment { Offset = 0, Data = Google.Protobuf.ByteString.CopyFrom(Bytes("evil")) } } },
            context));
        var read = await Assert.ThrowsAsync<RpcException>(() => service.ReadBytes(
            new ReadBytesRequest { Capability = TestCaps.Write(id), Object = id, Ranges = { new ByteRange { Offset = 0, Length = 4 } } },
            context));
        var delete = await Assert.ThrowsAsync<RpcException>(() => service.DeleteObject(new DeleteObjectRequest { Capability = TestCaps.Write(id), Object = id }, context));

        // Assert
        Assert.All([write, read, delete], ex => Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode));
        Assert.Equal(["data", "data/objects"], _parent.Tree());
    }

    [Fact]
    public async Task LoneSurrogateNameIsRefused()
    {
        // Arrange: not theory data, because xunit's serialization would turn the lone surrogate into U+FFFD
        var store = NewStore(_parent);
        var key = new ObjectKey("bad\ud800", 1);

        // Act
        var write = await Assert.ThrowsAsync<BlockStoreException>(() => NewStaged(store).WriteBytesAsync(key, (0, Bytes("evil"))));

        // Assert
        Assert.Equal(BlockStoreError.InvalidArgument, write.Error);
        Assert.Equal(["data", "data/objects"], _parent.Tree());
    }

    [Fact]
    public async Task ValidObjectLivesUnderItsNameWithTheGenerationInHex()
    {
        // Arrange
        var store = NewStore(_parent);

        // Act
        await NewStaged(store).WriteBytesAsync(new ObjectKey("...weird name~", 0xABCDEF), (0, Bytes("x")));

        // Assert
        Assert.Equal(["data", "data/objects", "data/objects/...weird name~", "data/objects/...weird name~/0000000000abcdef", "data/objects/...weird name~/0000000000abcdef.epoch"], _parent.Tree());
    }
}
