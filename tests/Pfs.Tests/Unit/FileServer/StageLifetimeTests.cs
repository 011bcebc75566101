using Pfs.FileServer.Storage;
using Pfs.FileServer.Storage.Staging;
using static Pfs.Tests.Unit.FileServer.BlockStoreTesting;

namespace Pfs.Tests.Unit.FileServer;

// How long a stage lives and what it holds meanwhile: the metadata server's abort ends a dead
// writer's stage, an idle stage holds no file handle, and a server keeps a bounded number of stages.
public sealed class StageLifetimeTests : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly BlockStore _store;

    public StageLifetimeTests()
    {
        _store = NewStore(_directory);
    }

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task AnAbortDropsTheWritersStageAndSealsItsEpoch()
    {
        // Arrange
        var staged = NewStaged(_store);
        var key = new ObjectKey("dead writer", 0x41);
        await staged.WriteBytesAsync(key, (0, Bytes("committed")));
        var writer = NewWriter();
        await staged.WriteAsync(key, writer, [new ObjectSegment(0, Bytes("NEVER"))], sync: true).AsTask().WaitAsync(TestTimeout);

        // Act
        var dropped = await staged.AbortAsync(key, writer.Epoch).AsTask().WaitAsync(TestTimeout);
        var again = await staged.AbortAsync(key, writer.Epoch).AsTask().WaitAsync(TestTimeout);
        var late = await Assert.ThrowsAsync<BlockStoreException>(() => staged.WriteAsync(key, writer, [new ObjectSegment(0, Bytes("late"))], sync: false).AsTask());
        using var seen = await staged.ReadAsync(key, NewWriter(), [new ObjectRange(0, 9)]).AsTask().WaitAsync(TestTimeout);

        // Assert
        Assert.True(dropped);
        Assert.False(again);
        Assert.Equal(BlockStoreError.StaleEpoch, late.Error);
        Assert.Equal(Bytes("committed"), seen.Data[0].ToArray());
        Assert.Equal(0, staged.LiveStages);
        Assert.Equal(["0000000000000041", "0000000000000041.epoch"], Files("41"));
    }

    [Fact]
    public async Task AnAbortOfAnEpochWithNothingStagedSealsItAndLeavesANewerWritersStageAlone()
    {
        // Arrange
        var staged = NewStaged(_store);
        var key = new ObjectKey("two writers", 0x42);
        var older = NewWriter();
        var newer = NewWriter();
        await staged.WriteAsync(key, newer, [new ObjectSegment(0, Bytes("newer"))], sync: false).AsTask().WaitAsync(TestTimeout);

        // Act
        var dropped = await staged.AbortAsync(key, older.Epoch).AsTask().WaitAsync(TestTimeout);
        await staged.WriteAsync(key, newer, [new ObjectSegment(5, Bytes("!"))], sync: false).AsTask().WaitAsync(TestTimeout);
        var committed = await staged.CommitAsync(key, newer.Epoch).AsTask().WaitAsync(TestTimeout);

        // Assert
        Assert.False(dropped);
        Assert.True(committed);
        Assert.Equal(Bytes("newer!"), (await _store.ReadBytesAsync(key, new ObjectRange(0, 10)))[0]);
    }

    [Fact]
    public async Task AStageNobodyIsWritingHoldsNoFileHandleAndReopensThemForTheNextCall()
    {
        // Arrange
        var staged = NewStaged(_store);
        var key = new ObjectKey("idle", 0x43);
        var writer = NewWriter();

        // Act
        await staged.WriteAsync(key, writer, [new ObjectSegment(0, Bytes("first"))], sync: false).AsTask().WaitAsync(TestTimeout);
        var stage = StageOf(staged, key);
        var openAfterFirst = stage.HandlesOpen;
        await staged.WriteAsync(key, writer, [new ObjectSegment(5, Bytes(" second"))], sync: true, truncate: 5).AsTask().WaitAsync(TestTimeout);
        using var own = await staged.ReadAsync(key, writer, [new ObjectRange(0, 20)]).AsTask().WaitAsync(TestTimeout);
        var openAfterRead = stage.HandlesOpen;
        await staged.CommitAsync(key, writer.Epoch).AsTask().WaitAsync(TestTimeout);

        // Assert
        Assert.False(openAfterFirst);
        Assert.False(openAfterRead);
        Assert.Equal(Bytes("first second"), own.Data[0].ToArray());
        Assert.Equal(Bytes("first second"), (await _store.ReadBytesAsync(key, new ObjectRange(0, 20)))[0]);
    }

    [Fact]
    public async Task AtTheBoundANewWriterIsBusyUntilAStageEnds()
    {
        // Arrange: room for two stages
        var staged = new StagedObjects(_store, Microsoft.Extensions.Logging.Abstractions.NullLogger<StagedObjects>.Instance, maxStages: 2);
        var writers = new[] { NewWriter(), NewWriter(), NewWriter() };
        var keys = new[] { new ObjectKey("a", 0x51), new ObjectKey("b", 0x52), new ObjectKey("c", 0x53) };
        await staged.WriteAsync(keys[0], writers[0], [new ObjectSegment(0, Bytes("a"))], sync: false).AsTask().WaitAsync(TestTimeout);
        await staged.WriteAsync(keys[1], writers[1], [new ObjectSegment(0, Bytes("b"))], sync: false).AsTask().WaitAsync(TestTimeout);

        // Act
        var busy = await Assert.ThrowsAsync<BlockStoreException>(() => staged.WriteAsync(keys[2], writers[2], [new ObjectSegment(0, Bytes("c"))], sync: false).AsTask());
        var filesAfterBusy = Files("53");
        var sameWriterAgain = await staged.WriteAsync(keys[0], writers[0], [new ObjectSegment(1, Bytes("A"))], sync: false).AsTask().WaitAsync(TestTimeout);
        await staged.AbortAsync(keys[1], writers[1].Epoch).AsTask().WaitAsync(TestTimeout);
        var afterAbort = await staged.WriteAsync(keys[2], writers[2], [new ObjectSegment(0, Bytes("c"))], sync: false).AsTask().WaitAsync(TestTimeout);

        // Assert
        Assert.Equal(BlockStoreError.Busy, busy.Error);
        Assert.Contains("retry", busy.Message, StringComparison.Ordinal);
        Assert.Equal(1, sameWriterAgain);
        Assert.Equal(1, afterAbort);
        Assert.Equal(2, staged.LiveStages);
        Assert.Equal(["0000000000000053.epoch"], filesAfterBusy);
    }

    [Fact]
    public async Task StagesFoundAtARestartCountTowardsTheBound()
    {
        // Arrange
        var staged = NewStaged(_store);
        await staged.WriteAsync(new ObjectKey("left", 0x61), NewWriter(), [new ObjectSegment(0, Bytes("x"))], sync: true).AsTask().WaitAsync(TestTimeout);

        // Act: the restarted server meets the object again
        var restarted = new StagedObjects(_store, Microsoft.Extensions.Logging.Abstractions.NullLogger<StagedObjects>.Instance, maxStages: 1);
        using var read = await restarted.ReadAsync(new ObjectKey("left", 0x61), new ObjectAccess(0, false, []), [new ObjectRange(0, 1)]).AsTask().WaitAsync(TestTimeout);
        var busy = await Assert.ThrowsAsync<BlockStoreException>(() => restarted.WriteAsync(new ObjectKey("new", 0x62), NewWriter(), [new ObjectSegment(0, Bytes("y"))], sync: false).AsTask());

        // Assert
        Assert.Equal(1, restarted.LiveStages);
        Assert.Equal(BlockStoreError.Busy, busy.Error);
    }

    private string[] Files(string directory) =>
        [.. Directory.GetFiles(Path.Join(_store.StripesRoot, directory)).Select(Path.GetFileName).Order(StringComparer.Ordinal)!];

    private static Stage StageOf(StagedObjects staged, ObjectKey key) => staged.StageOf(key) ?? throw new InvalidOperationException("no stage");
}
