using Pfs.FileServer.Storage;
using Pfs.FileServer.Storage.Staging;

namespace Pfs.Tests.Unit.FileServer;

// A call that cuts runs alone in its stage: after the calls already inside, before the ones after it.
public sealed class StageBarrierTests : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly Stage _stage;

    public StageBarrierTests()
    {
        _stage = Stage.Create(ObjectPath.Resolve(_directory.FullPath, 1), epoch: 1, EagerWriteback.DefaultEveryBytes);
    }

    public void Dispose()
    {
        _stage.CloseHandles();
        _directory.Dispose();
    }

    [Fact]
    public void ACutWaitsForTheCallsInsideAndTheCallsAfterItWaitForIt()
    {
        // Arrange: two writes inside
        Assert.Null(_stage.Enter(exclusive: false, out var firstIn));
        Assert.Null(_stage.Enter(exclusive: false, out var secondIn));

        // Act
        var quiet = _stage.Enter(exclusive: true, out var cutIn);
        var later = _stage.Enter(exclusive: false, out var laterIn);
        var laterCut = _stage.Enter(exclusive: true, out var laterCutIn);
        _stage.Leave(exclusive: false);
        var quietAfterOne = quiet!.IsCompleted;
        _stage.Leave(exclusive: false);
        var quietAfterBoth = quiet.IsCompleted;
        var laterWhileCutting = later!.IsCompleted;
        _stage.Leave(exclusive: true);

        // Assert
        Assert.True(firstIn && secondIn && cutIn);
        Assert.False(laterIn);
        Assert.False(laterCutIn);
        Assert.Same(later, laterCut);
        Assert.False(quietAfterOne);
        Assert.True(quietAfterBoth);
        Assert.False(laterWhileCutting);
        Assert.True(later.IsCompleted);
        Assert.Equal(0, _stage.InFlight);
    }

    [Fact]
    public void ACutIntoAnEmptyStageGoesOnAtOnceAndSettlingWaitsForIt()
    {
        // Act
        var quiet = _stage.Enter(exclusive: true, out var entered);
        var drained = new TaskCompletionSource();
        _stage.Drained = drained;
        var drainedWhileInside = drained.Task.IsCompleted;
        _stage.Leave(exclusive: true);

        // Assert
        Assert.True(entered);
        Assert.Null(quiet);
        Assert.False(drainedWhileInside);
        Assert.True(drained.Task.IsCompleted);
    }
}
