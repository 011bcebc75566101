using Pfs.FileServer.Storage;
using Pfs.Tests.Fixtures;

namespace Pfs.Tests.Unit.FileServer;

public sealed class EpochFencesTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task AnOlderEpochIsRefusedOnceANewerOneWasAdmitted()
    {
        var fences = new EpochFences(_directory.FullPath);
        var key = new ObjectKey("f", 1);

        (await fences.EnterAsync(key, 5, default))!.Dispose();
        (await fences.EnterAsync(key, 5, default))!.Dispose();

        Assert.Null(await fences.EnterAsync(key, 4, default));
        Assert.NotNull(await fences.EnterAsync(key, 6, default));
    }

    [Fact]
    public async Task TheFloorIsReadBackByANewInstance()
    {
        var key = new ObjectKey("f", 1);
        (await new EpochFences(_directory.FullPath).EnterAsync(key, 9, default))!.Dispose();

        var restarted = new EpochFences(_directory.FullPath);

        Assert.Null(await restarted.EnterAsync(key, 8, default));
    }

    [Fact]
    public async Task ANewerEpochWaitsForOlderWritesInFlight()
    {
        var fences = new EpochFences(_directory.FullPath);
        var key = new ObjectKey("f", 1);
        var old = await fences.EnterAsync(key, 1, default);

        var newer = fences.EnterAsync(key, 2, default).AsTask();
        var lateOld = await fences.EnterAsync(key, 1, default);

        Assert.Null(lateOld);
        Assert.False(newer.IsCompleted, "the newer writer must wait until the older write in flight is done");
        old!.Dispose();
        Assert.NotNull(await newer.WaitAsync(TimeSpan.FromSeconds(5)));
    }
}
