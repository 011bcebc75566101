using Pfs.FileServer.Storage;
using Pfs.FileServer.Storage.Staging;
using static Pfs.Tests.Unit.FileServer.BlockStoreTesting;

namespace Pfs.Tests.Unit.FileServer;

public sealed class BlockStoreConcurrencyTests : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly BlockStore _store;
    private readonly StagedObjects _staged;

    public BlockStoreConcurrencyTests()
    {
        _store = NewStore(_directory);
        _staged = NewStaged(_store);
    }

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task ConcurrentWritesToDifferentObjectsAllLand()
    {
        // Arrange
        const int Writers = 32;
        const int BlocksPerWriter = 32;
        const int BlockSize = 4096;

        // Act: every writer writes its blocks in a shuffled order, one call per block, then commits
        await Task.WhenAll(Enumerable.Range(0, Writers).Select(w => Task.Run(async () =>
        {
            var key = new ObjectKey($"object-{w}", (ulong)w + 1);
            var writer = NewWriter();
            foreach (var block in Enumerable.Range(0, BlocksPerWriter).OrderBy(b => (b * 7) % BlocksPerWriter))
            {
                await _staged.WriteAsync(key, writer, [new ObjectSegment((long)block * BlockSize, Pattern(BlockSize, seed: (w * 1000) + block))], sync: false);
            }

            Assert.True(await _staged.CommitAsync(key, writer.Epoch));
        }))).WaitAsync(TestTimeout);

        // Assert
        for (var w = 0; w < Writers; w++)
        {
            var data = await _store.ReadBytesAsync(new ObjectKey($"object-{w}", (ulong)w + 1), new ObjectRange(0, BlocksPerWriter * BlockSize));
            var expected = Enumerable.Range(0, BlocksPerWriter).SelectMany(b => Pattern(BlockSize, seed: (w * 1000) + b)).ToArray();
            Assert.Equal(expected, data[0]);
        }
    }

    [Fact]
    public async Task ConcurrentBlockWritesToOneObjectAllLand()
    {
        // Arrange
        const int Blocks = 64;
        const int BlockSize = 8192;
        var key = new ObjectKey("shared", 1);

        var writer = NewWriter();

        // Act: one writer's calls at once, then its commit
        await Task.WhenAll(Enumerable.Range(0, Blocks).Select(b => Task.Run(async () =>
            await _staged.WriteAsync(key, writer, [new ObjectSegment((long)b * BlockSize, Pattern(BlockSize, seed: b))], sync: false)))).WaitAsync(TestTimeout);
        Assert.True(await _staged.CommitAsync(key, writer.Epoch).AsTask().WaitAsync(TestTimeout));

        // Assert
        var data = await _store.ReadBytesAsync(key, new ObjectRange(0, Blocks * BlockSize));
        Assert.Equal(Enumerable.Range(0, Blocks).SelectMany(b => Pattern(BlockSize, seed: b)).ToArray(), data[0]);
    }

    [Fact]
    public async Task WritesRacingDeletesOfSiblingGenerationsNeverFail()
    {
        // Arrange: three writers of one name, each writing and deleting generation after generation,
        // the three of them always in the same directory
        const int Rounds = 300;

        async Task Churn(ulong writer)
        {
            for (var i = 0; i < Rounds; i++)
            {
                var key = new ObjectKey("contended", ((ulong)i << 16) | (writer << 8) | 1);
                await _staged.WriteBytesAsync(key, (0, Bytes("payload")));
                await _staged.DeleteObjectAsync(key);
            }
        }

        // Act
        var churn = Task.WhenAll(Task.Run(() => Churn(1)), Task.Run(() => Churn(2)), Task.Run(() => Churn(3)));
        await churn.WaitAsync(TestTimeout);

        // Assert
        Assert.True(churn.IsCompletedSuccessfully);
        Assert.Equal(["data", "data/deleted-generations", "data/stripes", "data/stripes/01"], _directory.Tree());
        Assert.Equal(3 * Rounds, Enumerable.Range(0, Rounds).SelectMany(i => new ulong[] { 1, 2, 3 }.Select(w => ((ulong)i << 16) | (w << 8) | 1)).Count(_store.Deleted.Contains));
    }
}
