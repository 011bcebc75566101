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

        // Assert: each generation goes with its epoch marks; the directories by last hex digits stay
        Assert.Equal(["data", "data/stripes", "data/stripes/01", "data/stripes/02", "data/stripes/02/0000000000000002", "data/stripes/02/0000000000000002.epoch"], afterFirst);
        Assert.Equal(["data", "data/stripes", "data/stripes/01", "data/stripes/02"], _directory.Tree());
    }

    [Fact]
    public async Task DeleteThenWriteStartsAFreshObject()
    {
        // Arrange
        var key = new ObjectKey("again", 1);
        await _staged.WriteBytesAsync(key, (0, Bytes("long old content")));
        await _staged.DeleteObjectAsync(key);

        // Act
        await _staged.WriteBytesAsync(key, (0, Bytes("new")));
        var data = await _store.ReadBytesAsync(key, new ObjectRange(0, 100));

        // Assert
        Assert.Equal(Bytes("new"), data[0]);
    }
}
