using Pfs.FileServer.Storage;
using Pfs.FileServer.Storage.Staging;
using static Pfs.Tests.Unit.FileServer.BlockStoreTesting;

namespace Pfs.Tests.Unit.FileServer;

public sealed class BlockStoreDeleteTests : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly BlockStore _store;
    private readonly StagedObjects _staged;

    public BlockStoreDeleteTests()
    {
        _store = NewStore(_directory);
        _staged = NewStaged(_store);
    }

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task DeleteThenReadIsEmpty()
    {
        // Arrange
        var key = new ObjectKey("doomed", 3);
        await _staged.WriteBytesAsync(key, (0, Bytes("content")));

        // Act
        var existed = _store.Delete(key);
        var data = await _store.ReadBytesAsync(key, new ObjectRange(0, 7));

        // Assert
        Assert.True(existed);
        Assert.Empty(data[0]);
    }

    [Fact]
    public void DeleteOfMissingObjectSucceeds()
    {
        // Act
        var existed = _store.Delete(new ObjectKey("ghost", 1));

        // Assert
        Assert.False(existed);
        Assert.Equal(["data", "data/stripes"], _directory.Tree());
    }

    [Fact]
    public async Task DeletingAGenerationRemovesItsObjectAndMarksAndNothingElse()
    {
        // Arrange
        await _staged.WriteBytesAsync(new ObjectKey("tidy", 1), (0, Bytes("a")));
        await _staged.WriteBytesAsync(new ObjectKey("tidy", 2), (0, Bytes("b")));

        // Act
        await _staged.DeleteObjectAsync(new ObjectKey("tidy", 1));
        var afterFirst = _directory.Tree();
        await _staged.DeleteObjectAsync(new ObjectKey("tidy", 2));

        // Assert: each generation goes with its epoch marks, leaving its tombstone; the directories by
        // last hex digits stay
        Assert.Equal(["data", "data/deleted-generations", "data/stripes", "data/stripes/01", "data/stripes/02", "data/stripes/02/0000000000000002", "data/stripes/02/0000000000000002.epoch"], afterFirst);
        Assert.Equal(["data", "data/deleted-generations", "data/stripes", "data/stripes/01", "data/stripes/02"], _directory.Tree());
    }

    [Fact]
    public async Task ADeletedGenerationIsRefusedForEverythingButDeleteAlsoAfterARestart()
    {
        // Arrange: a writer with a stage when the delete comes
        var key = new ObjectKey("deleted", 0x31);
        var writer = NewWriter();
        await _staged.WriteAsync(key, writer, [new ObjectSegment(0, Bytes("staged"))], sync: false).AsTask().WaitAsync(TestTimeout);

        // Act
        await _staged.DeleteObjectAsync(key);
        var write = await Assert.ThrowsAsync<BlockStoreException>(() => _staged.WriteAsync(key, writer, [new ObjectSegment(0, new byte[1024 * 1024])], sync: false).AsTask());
        var newerWrite = await Assert.ThrowsAsync<BlockStoreException>(() => _staged.WriteAsync(key, NewWriter(), [new ObjectSegment(0, Bytes("x"))], sync: false, truncate: 0).AsTask());
        var read = await Assert.ThrowsAsync<BlockStoreException>(() => _staged.ReadAsync(key, NewWriter(), [new ObjectRange(0, 1)]).AsTask());
        var committed = await _staged.CommitAsync(key, writer.Epoch);
        var aborted = await _staged.AbortAsync(key, writer.Epoch);
        var restarted = NewStaged(NewStore(_directory));
        var afterRestart = await Assert.ThrowsAsync<BlockStoreException>(() => restarted.WriteAsync(key, NewWriter(), [new ObjectSegment(0, Bytes("x"))], sync: true).AsTask());
        var deletedAgain = await restarted.DeleteObjectAsync(key);

        // Assert: refused as deleted, and nothing of the generation on disk but its tombstone
        Assert.All([write, newerWrite, read, afterRestart], ex => Assert.Equal(BlockStoreError.Deleted, ex.Error));
        Assert.False(committed);
        Assert.False(aborted);
        Assert.False(deletedAgain);
        Assert.Equal(["data", "data/deleted-generations", "data/stripes", "data/stripes/31"], _directory.Tree());
    }

    [Fact]
    public async Task FilesACrashLeftInTheMiddleOfADeleteGoWhenTheGenerationIsNextUsed()
    {
        // Arrange: the tombstone is written, then the server died before removing the files
        var key = new ObjectKey("half-deleted", 0x32);
        await _staged.WriteBytesAsync(key, (0, Bytes("content")));
        var leftovers = Directory.GetFiles(Path.Join(_store.StripesRoot, "32")).ToDictionary(f => f, File.ReadAllBytes);
        await _staged.DeleteObjectAsync(key);
        foreach (var (file, bytes) in leftovers)
        {
            await File.WriteAllBytesAsync(file, bytes);
        }

        // Act
        var restarted = NewStaged(NewStore(_directory));
        var read = await Assert.ThrowsAsync<BlockStoreException>(() => restarted.ReadAsync(key, NewWriter(), [new ObjectRange(0, 7)]).AsTask());

        // Assert
        Assert.Equal(BlockStoreError.Deleted, read.Error);
        Assert.NotEmpty(leftovers);
        Assert.Empty(Directory.GetFiles(Path.Join(_store.StripesRoot, "32")));
    }
}
