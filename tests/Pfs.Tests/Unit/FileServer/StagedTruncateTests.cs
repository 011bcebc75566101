using System.Buffers.Binary;
using Pfs.FileServer.Storage;
using Pfs.FileServer.Storage.Staging;
using Pfs.Protocol;
using static Pfs.Tests.Unit.FileServer.BlockStoreTesting;

namespace Pfs.Tests.Unit.FileServer;

// WriteBytesRequest.truncate: a cut of the writer's view, staged in order with its writes and
// applied to the object at the commit.
public sealed class StagedTruncateTests : IDisposable
{
    private static readonly ObjectKey Key = new("cut", 0x77);
    private readonly TempDirectory _directory = new();
    private readonly BlockStore _store;
    private StagedObjects _staged;

    public StagedTruncateTests()
    {
        _store = NewStore(_directory);
        _staged = NewStaged(_store);
    }

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task ACutEndsTheWritersViewThereAndDropsWhatItStagedPastIt()
    {
        // Arrange
        await CommitAsync(1, null, (0, "0123456789"));
        await WriteAsync(Writer(2), null, (8, "ABCDEF"));

        // Act
        await WriteAsync(Writer(2), 5);
        var own = await ReadAsync(Writer(2), 0, 20);

        // Assert: a short read, ending at the cut
        Assert.Equal("01234", own);
    }

    [Fact]
    public async Task OtherHoldersSeeNothingOfACutUntilItsCommit()
    {
        // Arrange
        await CommitAsync(1, null, (0, "0123456789"));
        await WriteAsync(Writer(2), 3);

        // Act
        var beforeCommit = await ReadAsync(Reader(2), 0, 20);
        Assert.True(await _staged.CommitAsync(Key, 2).AsTask().WaitAsync(TestTimeout));
        var afterCommit = await ReadAsync(Reader(3), 0, 20);

        // Assert
        Assert.Equal("0123456789", beforeCommit);
        Assert.Equal("012", afterCommit);
        Assert.Equal(3, ObjectLength());
    }

    [Fact]
    public async Task BytesPastACutReadAsZerosWhenTheObjectGrowsAgain()
    {
        // Arrange
        await CommitAsync(1, null, (0, "0123456789"));

        // Act: cut to 4, then write beyond the old end
        await WriteAsync(Writer(2), 4);
        await WriteAsync(Writer(2), null, (12, "XY"));
        var own = await ReadAsync(Writer(2), 0, 20);
        await _staged.CommitAsync(Key, 2);
        var committed = await ReadAsync(Reader(3), 0, 20);

        // Assert
        Assert.Equal("0123\0\0\0\0\0\0\0\0XY", own);
        Assert.Equal(own, committed);
    }

    [Fact]
    public async Task ACutPastTheEndExtendsTheObjectWithZeros()
    {
        // Arrange
        await CommitAsync(1, null, (0, "abc"));

        // Act
        await CommitAsync(2, 8);
        var committed = await ReadAsync(Reader(3), 0, 20);

        // Assert
        Assert.Equal("abc\0\0\0\0\0", committed);
        Assert.Equal(8, ObjectLength());
    }

    [Fact]
    public async Task ARequestsCutComesBeforeItsOwnSegments()
    {
        // Arrange
        await CommitAsync(1, null, (0, "0123456789"));

        // Act: cut to 2 and write at 6 in one request
        await CommitAsync(2, 2, (6, "Z"));

        // Assert
        Assert.Equal("01\0\0\0\0Z", await ReadAsync(Reader(3), 0, 20));
    }

    [Fact]
    public async Task CutsAndWritesApplyInTheOrderTheyCame()
    {
        // Arrange
        await CommitAsync(1, null, (0, "0123456789"));

        // Act: cut to 6, write over the cut, cut lower, extend by a cut, write in the gap
        var writer = Writer(2);
        await WriteAsync(writer, 6);
        await WriteAsync(writer, null, (4, "abcd"));
        await WriteAsync(writer, 5);
        await WriteAsync(writer, 9);
        await WriteAsync(writer, null, (7, "Q"));
        var own = await ReadAsync(writer, 0, 20);
        await _staged.CommitAsync(Key, 2);

        // Assert
        Assert.Equal("0123a\0\0Q\0", own);
        Assert.Equal(own, await ReadAsync(Reader(3), 0, 20));
    }

    [Fact]
    public async Task TruncatingToZeroAndRewritingEverythingReplacesTheObject()
    {
        // Arrange
        await CommitAsync(1, null, (0, "a long old object, longer than the new one"));

        // Act
        await CommitAsync(2, 0, (0, "new"));

        // Assert
        Assert.Equal("new", await ReadAsync(Reader(3), 0, 100));
        Assert.Equal(3, ObjectLength());
        Assert.DoesNotContain(StripeFiles(), file => file.Contains(".stage", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ADeadWritersCutIsDroppedWithItsStage()
    {
        // Arrange
        await CommitAsync(1, null, (0, "kept whole"));
        await WriteAsync(Writer(2), 0);

        // Act: a later holder whose capability does not name epoch 2 as committed
        var seen = await ReadAsync(Reader(3), 0, 20);
        var late = await Assert.ThrowsAsync<BlockStoreException>(() => WriteAsync(Writer(2), 1));

        // Assert
        Assert.Equal("kept whole", seen);
        Assert.Equal(BlockStoreError.StaleEpoch, late.Error);
        Assert.DoesNotContain(StripeFiles(), file => file.Contains(".stage", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AStaleWritersCutIsRefused()
    {
        // Arrange
        await CommitAsync(1, null, (0, "0123"));
        await WriteAsync(Writer(5), null, (0, "x"));

        // Act
        var stale = await Assert.ThrowsAsync<BlockStoreException>(() => WriteAsync(Writer(4), 0));
        await _staged.CommitAsync(Key, 5);

        // Assert
        Assert.Equal(BlockStoreError.StaleEpoch, stale.Error);
        Assert.Equal("x123", await ReadAsync(Reader(6), 0, 10));
    }

    [Theory]
    [InlineData(-1, BlockStoreError.InvalidArgument)]
    [InlineData(long.MinValue, BlockStoreError.InvalidArgument)]
    [InlineData(PfsLimits.MaxObjectBytes + 1, BlockStoreError.OutOfRange)]
    [InlineData(long.MaxValue, BlockStoreError.OutOfRange)]
    public async Task ABadCutIsRefusedAndLeavesNothing(long truncate, BlockStoreError expected)
    {
        // Act
        var ex = await Assert.ThrowsAsync<BlockStoreException>(() => WriteAsync(Writer(1), truncate, (0, "x")));

        // Assert
        Assert.Equal(expected, ex.Error);
        Assert.Equal(["data", "data/stripes"], _directory.Tree());
    }

    [Fact]
    public async Task ACutToTheLargestObjectIsAccepted()
    {
        // Act
        await WriteAsync(Writer(1), PfsLimits.MaxObjectBytes);
        var own = await ReadAsync(Writer(1), PfsLimits.MaxObjectBytes - 3, 3);

        // Assert
        Assert.Equal("\0\0\0", own);
    }

    [Fact]
    public async Task AStagedCutSurvivesARestartAndIsAppliedAtTheCommit()
    {
        // Arrange
        await CommitAsync(1, null, (0, "0123456789"));
        await WriteAsync(Writer(2), 3);
        await WriteAsync(Writer(2), null, (5, "Z"));

        // Act
        _staged = NewStaged(_store);
        var own = await ReadAsync(Writer(2), 0, 20);
        Assert.True(await _staged.CommitAsync(Key, 2).AsTask().WaitAsync(TestTimeout));

        // Assert
        Assert.Equal("012\0\0Z", own);
        Assert.Equal(own, await ReadAsync(Reader(3), 0, 20));
    }

    [Fact]
    public async Task BytesAShadowKeptPastALoggedCutNeverReachTheObject()
    {
        // Arrange: a crash between logging the cut and cutting the shadow leaves the shadow long
        await CommitAsync(1, null, (0, "01234567"));
        await WriteAsync(Writer(2), null, (0, "abcdefgh"));
        await WriteAsync(Writer(2), 4);
        await WriteAsync(Writer(2), null, (4, "XY"));
        _staged = NewStaged(_store);
        await File.AppendAllTextAsync(ObjectFile() + ".stage", "-junk-past-the-view");

        // Act: the stage now covers the whole view (0..6), so it is applied by renaming the shadow
        await _staged.CommitAsync(Key, 2).AsTask().WaitAsync(TestTimeout);

        // Assert
        Assert.Equal("abcdXY", await ReadAsync(Reader(3), 0, 100));
    }

    [Fact]
    public async Task AStageLogWrittenBeforeTruncatesExistedStillLoads()
    {
        // Arrange: the files a server left before this change: shadow, and a log of runs only
        await CommitAsync(1, null, (0, "0123456789"));
        var log = new byte[16 + 32];
        BinaryPrimitives.WriteUInt64LittleEndian(log, 0x3130_4754_5353_4650);
        BinaryPrimitives.WriteUInt64LittleEndian(log.AsSpan(8), 2);
        BinaryPrimitives.WriteInt64LittleEndian(log.AsSpan(16), 2);
        BinaryPrimitives.WriteInt64LittleEndian(log.AsSpan(24), 2);
        BinaryPrimitives.WriteInt64LittleEndian(log.AsSpan(32), 12);
        BinaryPrimitives.WriteInt64LittleEndian(log.AsSpan(40), 1);
        await File.WriteAllBytesAsync(ObjectFile() + ".stage", [0, 0, .. Bytes("ab"), .. new byte[8], .. Bytes("c")]);
        await File.WriteAllBytesAsync(ObjectFile() + ".stage.log", log);
        _staged = NewStaged(_store);

        // Act
        var seen = await ReadAsync(Reader(3, committed: 2), 0, 20);

        // Assert
        Assert.Equal("01ab456789\0\0c", seen);
    }

    private static ObjectAccess Writer(ulong epoch) => new(epoch, true, []);

    private static ObjectAccess Reader(ulong epoch, params ulong[] committed) => new(epoch, false, committed);

    private async Task WriteAsync(ObjectAccess access, long? truncate, params (long Offset, string Data)[] segments) =>
        await _staged.WriteAsync(Key, access, [.. segments.Select(s => new ObjectSegment(s.Offset, Bytes(s.Data)))], sync: false, truncate).AsTask().WaitAsync(TestTimeout);

    private async Task CommitAsync(ulong epoch, long? truncate, params (long Offset, string Data)[] segments)
    {
        await WriteAsync(Writer(epoch), truncate, segments);
        Assert.True(await _staged.CommitAsync(Key, epoch).AsTask().WaitAsync(TestTimeout));
    }

    private async Task<string> ReadAsync(ObjectAccess access, long offset, int length)
    {
        using var result = await _staged.ReadAsync(Key, access, [new ObjectRange(offset, length)]).AsTask().WaitAsync(TestTimeout);
        return System.Text.Encoding.ASCII.GetString(result.Data[0].Span);
    }

    private string ObjectFile() => Path.Join(_store.StripesRoot, "77", "0000000000000077");

    private long ObjectLength() => new FileInfo(ObjectFile()).Length;

    private string[] StripeFiles() => [.. Directory.GetFiles(Path.Join(_store.StripesRoot, "77")).Select(Path.GetFileName)!];
}
