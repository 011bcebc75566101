using Pfs.FileServer.Storage;
using Pfs.FileServer.Storage.Staging;
using static Pfs.Tests.Unit.FileServer.BlockStoreTesting;

namespace Pfs.Tests.Unit.FileServer;

public sealed class StagedObjectsTests : IDisposable
{
    private static readonly ObjectKey Key = new("staged", 1);
    private readonly TempDirectory _directory = new();
    private readonly BlockStore _store;
    private StagedObjects _staged;

    public StagedObjectsTests()
    {
        _store = NewStore(_directory);
        _staged = NewStaged();
    }

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task StagedBytesAreSeenByTheirWriterOnlyUntilCommitted()
    {
        // Arrange
        await WriteAsync(Writer(5), (0, Bytes("hello")));

        // Act
        var own = await ReadAsync(Writer(5), 0, 5);
        var beforeCommit = await ReadAsync(Reader(3), 0, 5);
        Assert.True(await _staged.CommitAsync(Key, 5));
        var afterCommit = await ReadAsync(Reader(3), 0, 5);

        // Assert
        Assert.Equal("hello", own);
        Assert.Equal(string.Empty, beforeCommit);
        Assert.Equal("hello", afterCommit);
        Assert.Equal(["0000000000000001", "0000000000000001.epoch"], ObjectFiles());
    }

    [Fact]
    public async Task ANewerHolderDropsAStageItsCapabilityDoesNotNameAsCommitted()
    {
        // Arrange
        await CommitAsync(1, (0, Bytes("committed")));
        await WriteAsync(Writer(5), (0, Bytes("DEADWRITE")));

        // Act
        var seen = await ReadAsync(Reader(6), 0, 9);
        var late = await Assert.ThrowsAsync<BlockStoreException>(() => WriteAsync(Writer(5), (0, Bytes("again"))));

        // Assert
        Assert.Equal("committed", seen);
        Assert.Equal(BlockStoreError.StaleEpoch, late.Error);
        Assert.DoesNotContain(ObjectFiles(), file => file.Contains(".stage", StringComparison.Ordinal));
    }

    [Fact]
    public async Task AStageNamedAsCommittedIsAppliedByTheFirstCallThatNamesIt()
    {
        // Arrange: epoch 5 closed, but its server never got the commit call.
        await WriteAsync(Writer(5), (0, Bytes("landed")));

        // Act
        var seen = await ReadAsync(Reader(6, committed: 5), 0, 6);

        // Assert
        Assert.Equal("landed", seen);
        Assert.Equal("landed", await ReadAsync(Reader(7), 0, 6));
    }

    [Fact]
    public async Task ANewWriterAppliesOrDropsItsPredecessorsStageBeforeItsOwnWrite()
    {
        // Arrange
        await WriteAsync(Writer(5), (0, Bytes("aaaa")));
        await WriteAsync(Writer(6, committed: 5), (2, Bytes("BB")));
        await WriteAsync(Writer(7), (0, Bytes("X")));

        // Act: 7 did not name 6, so 6 is dropped; 5 had been applied when 6 began.
        var own = await ReadAsync(Writer(7), 0, 4);
        await _staged.CommitAsync(Key, 7);

        // Assert
        Assert.Equal("Xaaa", own);
        Assert.Equal("Xaaa", await ReadAsync(Reader(8), 0, 4));
    }

    [Fact]
    public async Task AnOlderEpochIsRefusedOnceANewerOneWasAdmittedAlsoAfterARestart()
    {
        // Arrange
        await WriteAsync(Writer(9), (0, Bytes("x")));

        // Act
        var older = await Assert.ThrowsAsync<BlockStoreException>(() => WriteAsync(Writer(8), (0, Bytes("y"))));
        _staged = NewStaged();
        var olderAfterRestart = await Assert.ThrowsAsync<BlockStoreException>(() => WriteAsync(Writer(8), (0, Bytes("y"))));

        // Assert
        Assert.Equal(BlockStoreError.StaleEpoch, older.Error);
        Assert.Equal(BlockStoreError.StaleEpoch, olderAfterRestart.Error);
    }

    [Fact]
    public async Task ALateWriteOfACommittedEpochIsRefused()
    {
        // Arrange
        await WriteAsync(Writer(4), (0, Bytes("done")));
        await _staged.CommitAsync(Key, 4);

        // Act
        var late = await Assert.ThrowsAsync<BlockStoreException>(() => WriteAsync(Writer(4), (0, Bytes("late"))));

        // Assert
        Assert.Equal(BlockStoreError.StaleEpoch, late.Error);
        Assert.Equal("done", await ReadAsync(Reader(5), 0, 4));
    }

    [Fact]
    public async Task APartialRewriteReplacesOnlyTheWrittenRangesAndAFullOneReplacesEverything()
    {
        // Arrange
        await CommitAsync(1, (0, Bytes("0123456789")));

        // Act
        await CommitAsync(2, (2, Bytes("ab")), (6, Bytes("cd")), (12, Bytes("ef")));
        var partial = await ReadAsync(Reader(3), 0, 20);
        await CommitAsync(4, (0, Bytes("full rewrite, longer")));
        var full = await ReadAsync(Reader(5), 0, 40);

        // Assert
        Assert.Equal("01ab45cd89\0\0ef", partial);
        Assert.Equal("full rewrite, longer", full);
    }

    [Fact]
    public async Task TheWriterReadsItsStagedBytesOverTheObjectAndZerosInBetween()
    {
        // Arrange
        await CommitAsync(1, (0, Bytes("abc")));
        await WriteAsync(Writer(2), (1, Bytes("X")), (8, Bytes("yz")));

        // Act
        var own = await ReadAsync(Writer(2), 0, 20);
        var middle = await ReadAsync(Writer(2), 2, 7);

        // Assert
        Assert.Equal("aXc\0\0\0\0\0yz", own);
        Assert.Equal("c\0\0\0\0\0y", middle);
    }

    [Fact]
    public async Task AStageSurvivesARestartAndIsAppliedWhenNamedOrDroppedWhenNot()
    {
        // Arrange: two objects staged by writers, then the server restarts.
        var other = new ObjectKey("other", 2);
        await WriteAsync(Writer(5), (0, Bytes("kept")));
        await _staged.WriteAsync(other, Writer(5), [new ObjectSegment(0, Bytes("lost"))], sync: true);
        _staged = NewStaged();

        // Act
        var named = await ReadAsync(Reader(6, committed: 5), 0, 4);
        using var dropped = await _staged.ReadAsync(other, Reader(6), [new ObjectRange(0, 4)]);

        // Assert
        Assert.Equal("kept", named);
        Assert.True(dropped.Data[0].IsEmpty);
    }

    [Fact]
    public async Task AStageWhoseShadowWasRenamedBeforeACrashCountsAsApplied()
    {
        // Arrange: a commit that got as far as the rename, as a crash would leave it.
        await WriteAsync(Writer(5), (0, Bytes("renamed")));
        var objectFile = Path.Join(_store.StripesRoot, "01", "0000000000000001");
        File.Copy(objectFile + ".stage", objectFile);
        File.Delete(objectFile + ".stage");
        _staged = NewStaged();

        // Act
        var seen = await ReadAsync(Reader(6), 0, 7);

        // Assert
        Assert.Equal("renamed", seen);
        Assert.False(File.Exists(objectFile + ".stage.log"));
    }

    [Fact]
    public async Task DeletingRemovesTheObjectAndItsStage()
    {
        // Arrange
        await CommitAsync(1, (0, Bytes("old")));
        await WriteAsync(Writer(2), (0, Bytes("new")));

        // Act
        var existed = await _staged.DeleteAsync(Key, Writer(3));

        // Assert
        Assert.True(existed);
        Assert.Equal(BlockStoreError.Deleted, (await Assert.ThrowsAsync<BlockStoreException>(() => ReadAsync(Reader(4), 0, 3))).Error);
        Assert.Empty(ObjectFiles());
    }

    [Fact]
    public async Task CommittingAnEpochWithNothingStagedChangesNothing()
    {
        // Arrange
        await CommitAsync(1, (0, Bytes("same")));

        // Act
        var applied = await _staged.CommitAsync(Key, 2);

        // Assert
        Assert.False(applied);
        Assert.Equal("same", await ReadAsync(Reader(3), 0, 4));
    }

    [Fact]
    public async Task ACommitOfAnEpochWhoseStageWasDroppedIsRefusedAsDataLossAlsoAfterARestart()
    {
        // Arrange: a newer holder whose capability does not name epoch 5 drops its stage; then 5's commit comes.
        await CommitAsync(1, (0, Bytes("committed")));
        await WriteAsync(Writer(5), (0, Bytes("OVERWRITE")));
        Assert.Equal("committed", await ReadAsync(Reader(6), 0, 9));

        // Act
        var refused = await Assert.ThrowsAsync<BlockStoreException>(() => _staged.CommitAsync(Key, 5).AsTask());
        _staged = NewStaged();
        var refusedAfterRestart = await Assert.ThrowsAsync<BlockStoreException>(() => _staged.CommitAsync(Key, 5).AsTask());

        // Assert: said, not passed off as applied; other epochs with nothing staged still commit as before.
        Assert.Equal(BlockStoreError.DataLoss, refused.Error);
        Assert.Contains("epoch 5", refused.Message, StringComparison.Ordinal);
        Assert.Contains("dropped on this file server before their commit", refused.Message, StringComparison.Ordinal);
        Assert.Equal(BlockStoreError.DataLoss, refusedAfterRestart.Error);
        Assert.False(await _staged.CommitAsync(Key, 7));
        Assert.Equal("committed", await ReadAsync(Reader(8), 0, 9));
    }

    [Fact]
    public async Task ACommitAfterAnAbortOfTheSameEpochIsRefused()
    {
        // Arrange
        await WriteAsync(Writer(5), (0, Bytes("aborted")));
        Assert.True(await _staged.AbortAsync(Key, 5));

        // Act
        var refused = await Assert.ThrowsAsync<BlockStoreException>(() => _staged.CommitAsync(Key, 5).AsTask());
        var applied = await _staged.CommitAsync(Key, 6);

        // Assert
        Assert.Equal(BlockStoreError.DataLoss, refused.Error);
        Assert.False(applied);
        Assert.Equal(string.Empty, await ReadAsync(Reader(7), 0, 7));
    }

    [Fact]
    public async Task AStageWhoseDropHadMarkedItBeforeACrashIsDroppedAtTheNextStartAndItsCommitRefused()
    {
        // Arrange: a drop of epoch 5's stage that got as far as its marks (floor, seal and drop at 5), as a crash leaves it.
        await CommitAsync(1, (0, Bytes("committed")));
        await WriteAsync(Writer(5), (0, Bytes("OVERWRITE")));
        var marks = Path.Join(_store.StripesRoot, "01", "0000000000000001.epoch");
        var bytes = new byte[24];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(bytes, 5);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(8), 5);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(16), 5);
        await File.WriteAllBytesAsync(marks, bytes);
        _staged = NewStaged();

        // Act
        var refused = await Assert.ThrowsAsync<BlockStoreException>(() => _staged.CommitAsync(Key, 5).AsTask());
        var left = ObjectFiles();

        // Assert: the drop is finished at the start (nothing of the stage is left), and its commit is not taken as applied
        Assert.Equal(BlockStoreError.DataLoss, refused.Error);
        Assert.Equal(["0000000000000001", "0000000000000001.epoch"], left);
        Assert.Equal("committed", await ReadAsync(Reader(6), 0, 9));
    }

    [Fact]
    public async Task MarksWrittenBeforeDropsWereRecordedStillFenceAndRecordNoDrop()
    {
        // Arrange: a marks file of 16 bytes (floor 9, seal 4), as servers wrote it before this change.
        await CommitAsync(1, (0, Bytes("old")));
        var marks = Path.Join(_store.StripesRoot, "01", "0000000000000001.epoch");
        var bytes = new byte[16];
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(bytes, 9);
        System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(bytes.AsSpan(8), 4);
        await File.WriteAllBytesAsync(marks, bytes);
        _staged = NewStaged();

        // Act
        var older = await Assert.ThrowsAsync<BlockStoreException>(() => WriteAsync(Writer(8), (0, Bytes("y"))));
        var applied = await _staged.CommitAsync(Key, 4);

        // Assert
        Assert.Equal(BlockStoreError.StaleEpoch, older.Error);
        Assert.False(applied);
        Assert.Equal("old", await ReadAsync(Reader(10), 0, 3));
    }

    [Fact]
    public async Task ConcurrentWritesOfOneWriterAllLand()
    {
        // Arrange
        var blocks = Enumerable.Range(0, 64).ToArray();

        // Act
        await Task.WhenAll(blocks.Select(i => _staged.WriteAsync(Key, Writer(3), [new ObjectSegment(i * 512L, Pattern(512, i))], sync: false).AsTask()));
        await _staged.CommitAsync(Key, 3);

        // Assert
        using var result = await _staged.ReadAsync(Key, Reader(4), [new ObjectRange(0, 64 * 512)]);
        var expected = blocks.SelectMany(i => Pattern(512, i)).ToArray();
        Assert.Equal(expected, result.Data[0].ToArray());
    }

    private static ObjectAccess Writer(ulong epoch, params ulong[] committed) => new(epoch, true, committed);

    private static ObjectAccess Reader(ulong epoch, params ulong[] committed) => new(epoch, false, committed);

    private StagedObjects NewStaged() => BlockStoreTesting.NewStaged(_store);

    private async Task WriteAsync(ObjectAccess access, params (long Offset, byte[] Data)[] segments) =>
        await _staged.WriteAsync(Key, access, [.. segments.Select(s => new ObjectSegment(s.Offset, s.Data))], sync: false).AsTask().WaitAsync(TestTimeout);

    private async Task CommitAsync(ulong epoch, params (long Offset, byte[] Data)[] segments)
    {
        await WriteAsync(Writer(epoch), segments);
        Assert.True(await _staged.CommitAsync(Key, epoch).AsTask().WaitAsync(TestTimeout));
    }

    private async Task<string> ReadAsync(ObjectAccess access, long offset, int length)
    {
        using var result = await _staged.ReadAsync(Key, access, [new ObjectRange(offset, length)]).AsTask().WaitAsync(TestTimeout);
        return System.Text.Encoding.ASCII.GetString(result.Data[0].Span);
    }

    private string[] ObjectFiles()
    {
        var directory = Path.Join(_store.StripesRoot, "01");
        return Directory.Exists(directory)
            ? [.. Directory.GetFiles(directory).Select(Path.GetFileName).Order(StringComparer.Ordinal)!]
            : [];
    }
}
