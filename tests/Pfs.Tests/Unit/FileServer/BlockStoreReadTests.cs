using Pfs.FileServer.Storage;
using Pfs.FileServer.Storage.Staging;
using static Pfs.Tests.Unit.FileServer.BlockStoreTesting;

namespace Pfs.Tests.Unit.FileServer;

public sealed class BlockStoreReadTests : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly BlockStore _store;
    private readonly StagedObjects _staged;

    public BlockStoreReadTests()
    {
        _store = NewStore(_directory);
        _staged = NewStaged(_store);
    }

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task MissingObjectReadsAsEmpty()
    {
        // Arrange
        var key = new ObjectKey("never-written", 7);

        // Act
        var data = await _store.ReadBytesAsync(key, new ObjectRange(0, 100), new ObjectRange(50, 10));

        // Assert
        Assert.Equal(2, data.Length);
        Assert.All(data, Assert.Empty);
        Assert.Equal(["data", "data/stripes"], _directory.Tree());
    }

    [Fact]
    public async Task ReadPastEndReturnsWhatExists()
    {
        // Arrange
        var key = new ObjectKey("short", 1);
        await _staged.WriteBytesAsync(key, (0, Bytes("0123456789")));

        // Act
        var data = await _store.ReadBytesAsync(key, new ObjectRange(6, 100), new ObjectRange(10, 5), new ObjectRange(500, 5), new ObjectRange(2, 3));

        // Assert
        Assert.Equal(Bytes("6789"), data[0]);
        Assert.Empty(data[1]);
        Assert.Empty(data[2]);
        Assert.Equal(Bytes("234"), data[3]);
    }

    [Fact]
    public async Task ZeroLengthRangesReadAsEmpty()
    {
        // Arrange
        var key = new ObjectKey("zero", 1);
        await _staged.WriteBytesAsync(key, (0, Bytes("abc")));

        // Act
        var data = await _store.ReadBytesAsync(key, new ObjectRange(1, 0), new ObjectRange(0, 3));

        // Assert
        Assert.Empty(data[0]);
        Assert.Equal(Bytes("abc"), data[1]);
    }

    [Fact]
    public async Task HolesReadAsZeros()
    {
        // Arrange
        var key = new ObjectKey("holes", 1);
        await _staged.WriteBytesAsync(key, (0, Bytes("abc")));
        await _staged.WriteBytesAsync(key, (10, Bytes("xyz")));

        // Act
        var data = await _store.ReadBytesAsync(key, new ObjectRange(0, 13), new ObjectRange(4, 4));

        // Assert
        Assert.Equal([.. Bytes("abc"), 0, 0, 0, 0, 0, 0, 0, .. Bytes("xyz")], data[0]);
        Assert.Equal(new byte[4], data[1]);
    }

    [Theory]
    [InlineData(-1L, 1)]
    [InlineData(0L, -1)]
    [InlineData(long.MinValue, 0)]
    public async Task NegativeOffsetsAndLengthsAreInvalidArguments(long offset, int length)
    {
        // Act
        var ex = await Assert.ThrowsAsync<BlockStoreException>(() => _store.ReadBytesAsync(new ObjectKey("neg", 1), new ObjectRange(offset, length)));

        // Assert
        Assert.Equal(BlockStoreError.InvalidArgument, ex.Error);
    }

    [Theory]
    [InlineData(BlockStore.MaxObjectBytes, 1)]
    [InlineData(BlockStore.MaxObjectBytes - 1, 2)]
    [InlineData(long.MaxValue, 1)]
    [InlineData(long.MaxValue, int.MaxValue)]
    public async Task RangesBeyondTheLargestObjectAreOutOfRange(long offset, int length)
    {
        // Act
        var ex = await Assert.ThrowsAsync<BlockStoreException>(() => _store.ReadBytesAsync(new ObjectKey("far", 1), new ObjectRange(offset, length)));

        // Assert
        Assert.Equal(BlockStoreError.OutOfRange, ex.Error);
    }

    [Fact]
    public async Task RangeEndingExactlyAtTheLargestObjectIsAllowed()
    {
        // Act
        var data = await _store.ReadBytesAsync(new ObjectKey("edge", 1), new ObjectRange(BlockStore.MaxObjectBytes - 1, 1));

        // Assert
        Assert.Empty(data[0]);
    }

    [Fact]
    public async Task ClaimingTwoGibibytesIsRefusedWithoutAllocating()
    {
        // Arrange: 2 x 2^30 = 2^31 bytes claimed in one request
        var key = new ObjectKey("greedy", 1);
        await _staged.WriteBytesAsync(key, (0, Bytes("tiny")));
        ObjectRange[] ranges = [new(0, 1 << 30), new(0, 1 << 30)];

        // Act: validation runs before the first await, so this thread does all the allocating
        var before = GC.GetAllocatedBytesForCurrentThread();
        var pending = _store.ReadAsync(key, ranges);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        var ex = await Assert.ThrowsAsync<BlockStoreException>(() => pending.AsTask().WaitAsync(TestTimeout));

        // Assert
        Assert.Equal(BlockStoreError.InvalidArgument, ex.Error);
        Assert.True(allocated < 64 * 1024, $"allocated {allocated} bytes");
    }

    [Fact]
    public async Task SingleRangeOverTheBatchLimitIsRefused()
    {
        // Act
        var ex = await Assert.ThrowsAsync<BlockStoreException>(() => _store.ReadBytesAsync(new ObjectKey("big", 1), new ObjectRange(0, int.MaxValue)));

        // Assert
        Assert.Equal(BlockStoreError.InvalidArgument, ex.Error);
    }

    [Fact]
    public async Task LargeClaimOnSmallObjectAllocatesOnlyWhatExists()
    {
        // Arrange
        var key = new ObjectKey("small", 1);
        await _staged.WriteBytesAsync(key, (0, Bytes("0123456789")));

        // Act: the buffer is rented before the first await, so this thread's counter sees it
        var before = GC.GetAllocatedBytesForCurrentThread();
        var pending = _store.ReadAsync(key, [new ObjectRange(0, BlockStore.MaxReadBytes)]);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        using var result = await pending.AsTask().WaitAsync(TestTimeout);

        // Assert
        Assert.Equal(Bytes("0123456789"), result.Data[0].ToArray());
        Assert.True(allocated < 1024 * 1024, $"allocated {allocated} bytes");
    }

    [Fact]
    public async Task ManyRangesOfOneObjectComeBackInRequestOrder()
    {
        // Arrange
        var key = new ObjectKey("ordered", 1);
        var content = Pattern(64 * 1024, seed: 5);
        await _staged.WriteBytesAsync(key, (0, content));
        ObjectRange[] ranges = [.. Enumerable.Range(0, 64).Select(i => new ObjectRange((63 - i) * 1024L, 1000))];

        // Act
        var data = await _store.ReadBytesAsync(key, ranges);

        // Assert
        for (var i = 0; i < ranges.Length; i++)
        {
            Assert.Equal(content.AsSpan((int)ranges[i].Offset, 1000).ToArray(), data[i]);
        }
    }
}
