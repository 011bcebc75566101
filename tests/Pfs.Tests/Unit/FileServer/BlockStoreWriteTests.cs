using Pfs.FileServer.Storage;
using Pfs.FileServer.Storage.Staging;
using static Pfs.Tests.Unit.FileServer.BlockStoreTesting;

namespace Pfs.Tests.Unit.FileServer;

// Writes take the path every write takes on a file server: staged, then committed into the store.
public sealed class BlockStoreWriteTests : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly BlockStore _store;
    private readonly StagedObjects _staged;

    public BlockStoreWriteTests()
    {
        _store = NewStore(_directory);
        _staged = NewStaged(_store);
    }

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task WriteReturnsTheBytesWrittenAndReadsBack()
    {
        // Arrange
        var key = new ObjectKey("plain", 1);

        // Act
        var written = await _staged.WriteBytesAsync(key, (0, Bytes("hello")), (100, Bytes("world")));
        var data = await _store.ReadBytesAsync(key, new ObjectRange(0, 5), new ObjectRange(100, 5));

        // Assert
        Assert.Equal(10, written);
        Assert.Equal(Bytes("hello"), data[0]);
        Assert.Equal(Bytes("world"), data[1]);
    }

    [Fact]
    public async Task ContiguousSegmentsCoalesceIntoTheRightBytes()
    {
        // Arrange: two contiguous runs (with an empty segment inside one) and a lone segment between them
        var key = new ObjectKey("vectored", 1);
        var a = Pattern(4096, 1);
        var b = Pattern(100, 2);
        var c = Pattern(8192, 3);
        var d = Pattern(7, 4);
        var e = Pattern(3, 5);

        // Act
        var written = await _staged.WriteBytesAsync(
            key,
            (0, a), (4096, b), (4196, []), (4196, c),
            (50_000, d),
            (20_000, e), (20_003, a));

        // Assert
        Assert.Equal(a.Length + b.Length + c.Length + d.Length + e.Length + a.Length, written);
        var data = await _store.ReadBytesAsync(key, new ObjectRange(0, 4096 + 100 + 8192), new ObjectRange(20_000, 3 + 4096), new ObjectRange(50_000, 100));
        Assert.Equal([.. a, .. b, .. c], data[0]);
        Assert.Equal([.. e, .. a], data[1]);
        Assert.Equal(d, data[2]);
    }

    [Fact]
    public async Task OverlappingSegmentsLastWins()
    {
        // Arrange
        var key = new ObjectKey("overlap", 1);

        // Act: (2,"bb") and (0,"XXXX") overlap; then "Y" lands inside the contiguous run before it
        await _staged.WriteBytesAsync(key, (2, Bytes("bb")), (0, Bytes("XXXX")));
        await _staged.WriteBytesAsync(key, (4, Bytes("cc")), (6, Bytes("dd")), (5, Bytes("Y")));
        var data = await _store.ReadBytesAsync(key, new ObjectRange(0, 100));

        // Assert
        Assert.Equal(Bytes("XXXXcYdd"), data[0]);
    }

    [Fact]
    public async Task RewritingMiddleKeepsTheRest()
    {
        // Arrange
        var key = new ObjectKey("rewrite", 1);
        await _staged.WriteBytesAsync(key, (0, Bytes("aaaaaaaaaa")));

        // Act
        await _staged.WriteBytesAsync(key, (3, Bytes("BBB")));
        var data = await _store.ReadBytesAsync(key, new ObjectRange(0, 10));

        // Assert
        Assert.Equal(Bytes("aaaBBBaaaa"), data[0]);
    }

    [Fact]
    public async Task SyncedWriteReadsBack()
    {
        // Arrange
        var key = new ObjectKey("synced", 1);

        var writer = NewWriter();

        // Act
        var written = await _staged.WriteAsync(key, writer, [new ObjectSegment(0, Bytes("durable"))], sync: true).AsTask().WaitAsync(TestTimeout);
        var applied = await _staged.CommitAsync(key, writer.Epoch).AsTask().WaitAsync(TestTimeout);
        var data = await _store.ReadBytesAsync(key, new ObjectRange(0, 7));

        // Assert
        Assert.Equal(7, written);
        Assert.True(applied);
        Assert.Equal(Bytes("durable"), data[0]);
    }

    [Fact]
    public async Task GenerationsOfOneNameAreSeparateObjects()
    {
        // Arrange
        await _staged.WriteBytesAsync(new ObjectKey("reborn", 1), (0, Bytes("old generation")));

        // Act
        await _staged.WriteBytesAsync(new ObjectKey("reborn", 2), (0, Bytes("new")));
        var data = await _store.ReadBytesAsync(new ObjectKey("reborn", 2), new ObjectRange(0, 100));

        // Assert
        Assert.Equal(Bytes("new"), data[0]);
    }

    [Theory]
    [InlineData(BlockStore.MaxObjectBytes, 1)]
    [InlineData(BlockStore.MaxObjectBytes - 1, 2)]
    [InlineData(long.MaxValue, 1)]
    [InlineData(long.MaxValue - 1, 4)]
    public async Task HugeOffsetsAreOutOfRangeAndCreateNothing(long offset, int length)
    {
        // Arrange
        var key = new ObjectKey("huge", 1);

        // Act: a valid segment first, to show nothing is written unless every segment is acceptable
        var ex = await Assert.ThrowsAsync<BlockStoreException>(() => _staged.WriteBytesAsync(key, (0, Bytes("ok")), (offset, new byte[length])));

        // Assert
        Assert.Equal(BlockStoreError.OutOfRange, ex.Error);
        Assert.Equal(["data", "data/stripes"], _directory.Tree());
    }

    [Fact]
    public async Task NegativeOffsetIsInvalidArgumentAndCreatesNothing()
    {
        // Act
        var ex = await Assert.ThrowsAsync<BlockStoreException>(() => _staged.WriteBytesAsync(new ObjectKey("neg", 1), (-1, Bytes("x"))));

        // Assert
        Assert.Equal(BlockStoreError.InvalidArgument, ex.Error);
        Assert.Equal(["data", "data/stripes"], _directory.Tree());
    }

    [Fact]
    public async Task WriteWithNoSegmentsOnlyRecordsTheWritersEpoch()
    {
        // Arrange
        var key = new ObjectKey("empty", 1);
        var writer = NewWriter();

        // Act
        var written = await _staged.WriteAsync(key, writer, [], sync: false).AsTask().WaitAsync(TestTimeout);
        var applied = await _staged.CommitAsync(key, writer.Epoch).AsTask().WaitAsync(TestTimeout);

        // Assert: nothing staged, so nothing to apply; the object is still missing, which reads as empty
        Assert.Equal(0, written);
        Assert.False(applied);
        Assert.Equal(["data", "data/stripes", "data/stripes/01", "data/stripes/01/0000000000000001.epoch"], _directory.Tree());
    }
}
