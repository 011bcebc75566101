using Pfs.FileServer.Storage;
using static Pfs.Tests.Unit.FileServer.BlockStoreTesting;

namespace Pfs.Tests.Unit.FileServer;

public sealed class DeletedGenerationsTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task ConcurrentDeletesAllSurviveAReloadAndConsecutiveOnesBecomeOneRun()
    {
        // Arrange: 2000 consecutive generations and 2000 scattered ones (even numbers far away)
        var tombstones = new DeletedGenerations(_directory.FullPath);
        var consecutive = Enumerable.Range(1, 2000).Select(i => (ulong)i).ToArray();
        var scattered = Enumerable.Range(0, 2000).Select(i => 1_000_000UL + ((ulong)i * 2)).ToArray();

        // Act: then the consecutive ones again, as retried deletes do, which pushes the file over the
        // size that makes it compact (twice the runs, plus 1024 records)
        await Task.WhenAll(consecutive.Concat(scattered).Concat(consecutive).Chunk(100).Select(chunk => Task.Run(async () =>
        {
            foreach (var generation in chunk)
            {
                await tombstones.AddAsync(generation);
            }
        }))).WaitAsync(TestTimeout);
        var reloaded = new DeletedGenerations(_directory.FullPath);
        var fileBytes = new FileInfo(Path.Join(_directory.FullPath, DeletedGenerations.FileName)).Length;

        // Assert: every one is there, nothing else is, and the file was compacted on the way
        Assert.All(consecutive.Concat(scattered), generation => Assert.True(reloaded.Contains(generation), $"{generation} was lost"));
        Assert.False(reloaded.Contains(2001));
        Assert.False(reloaded.Contains(1_000_001));
        Assert.False(reloaded.Contains(ulong.MaxValue));
        Assert.Equal(1 + scattered.Length, reloaded.Runs);
        Assert.True(fileBytes < 16 * (1 + 6000), $"{fileBytes} bytes for 6000 deletes in {reloaded.Runs} runs: never compacted");
    }

    [Fact]
    public async Task ARunJoinsItsNeighboursWhenTheGapBetweenThemIsDeleted()
    {
        // Arrange
        var tombstones = new DeletedGenerations(_directory.FullPath);
        await tombstones.AddAsync(10);
        await tombstones.AddAsync(12);
        await tombstones.AddAsync(ulong.MaxValue);
        var before = tombstones.Runs;

        // Act
        await tombstones.AddAsync(11);
        await tombstones.AddAsync(11);

        // Assert
        Assert.Equal(3, before);
        Assert.Equal(2, tombstones.Runs);
        Assert.True(tombstones.Contains(ulong.MaxValue));
        Assert.False(tombstones.Contains(9));
        Assert.False(tombstones.Contains(13));
    }

    [Fact]
    public async Task ATornLastRecordIsIgnoredAndAForeignFileRefusesToLoad()
    {
        // Arrange
        var tombstones = new DeletedGenerations(_directory.FullPath);
        await tombstones.AddAsync(5);
        var file = Path.Join(_directory.FullPath, DeletedGenerations.FileName);
        await File.AppendAllTextAsync(file, "torn");

        // Act
        var reloaded = new DeletedGenerations(_directory.FullPath);
        await reloaded.AddAsync(6);
        var again = new DeletedGenerations(_directory.FullPath);
        await File.WriteAllTextAsync(file, "this is not a tombstone file at all");

        // Assert
        Assert.True(again.Contains(5) && again.Contains(6));
        Assert.Equal(1, again.Runs);
        Assert.Throws<IOException>(() => new DeletedGenerations(_directory.FullPath));
    }
}
