using Pfs.FileServer.Services;
using static Pfs.Tests.Unit.FileServer.BlockStoreTesting;

namespace Pfs.Tests.Unit.FileServer;

public sealed class WriteBudgetTests
{
    private static readonly TimeSpan Long = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task ReservationsWithinTheBudgetGoAtOnceAndReleasesGiveItBack()
    {
        // Arrange
        var budget = new WriteBudget(100);

        // Act
        var first = await budget.TryReserveAsync(60, Long, CancellationToken.None);
        var second = await budget.TryReserveAsync(40, Long, CancellationToken.None);
        var inUse = budget.InUse;
        budget.Release(60);
        budget.Release(40);

        // Assert
        Assert.True(first && second);
        Assert.Equal(100, inUse);
        Assert.Equal(0, budget.InUse);
    }

    [Fact]
    public async Task BeyondTheBudgetACallWaitsForARelease()
    {
        // Arrange
        var budget = new WriteBudget(100);
        await budget.TryReserveAsync(80, Long, CancellationToken.None);

        // Act
        var waiting = budget.TryReserveAsync(50, Long, CancellationToken.None).AsTask();
        var waitedBeforeRelease = !waiting.IsCompleted;
        budget.Release(80);
        var granted = await waiting.WaitAsync(TestTimeout);

        // Assert
        Assert.True(waitedBeforeRelease);
        Assert.True(granted);
        Assert.Equal(50, budget.InUse);
    }

    [Fact]
    public async Task ACallThatWaitedItsLongestIsRefusedAndTakesNothing()
    {
        // Arrange
        var budget = new WriteBudget(100);
        await budget.TryReserveAsync(100, Long, CancellationToken.None);

        // Act
        var granted = await budget.TryReserveAsync(1, TimeSpan.FromMilliseconds(50), CancellationToken.None).AsTask().WaitAsync(TestTimeout);
        budget.Release(100);

        // Assert
        Assert.False(granted);
        Assert.Equal(0, budget.InUse);
    }

    [Fact]
    public async Task WaitersGoInTheOrderTheyCameSoALargeOneIsNotPassedOver()
    {
        // Arrange
        var budget = new WriteBudget(100);
        await budget.TryReserveAsync(90, Long, CancellationToken.None);
        var large = budget.TryReserveAsync(100, Long, CancellationToken.None).AsTask();

        // Act: a small one that would fit now queues behind the large one
        var small = budget.TryReserveAsync(10, Long, CancellationToken.None).AsTask();
        var smallWaited = !small.IsCompleted;
        budget.Release(90);
        var largeGranted = await large.WaitAsync(TestTimeout);
        var smallWhileLargeHolds = small.IsCompleted;
        budget.Release(100);
        var smallGranted = await small.WaitAsync(TestTimeout);

        // Assert
        Assert.True(smallWaited);
        Assert.True(largeGranted);
        Assert.False(smallWhileLargeHolds);
        Assert.True(smallGranted);
    }

    [Fact]
    public async Task ACancelledWaitTakesNothingAndLetsTheNextOneIn()
    {
        // Arrange
        var budget = new WriteBudget(100);
        await budget.TryReserveAsync(50, Long, CancellationToken.None);
        using var cancellation = new CancellationTokenSource();
        var large = budget.TryReserveAsync(100, Long, cancellation.Token).AsTask();
        var small = budget.TryReserveAsync(50, Long, CancellationToken.None).AsTask();

        // Act
        await cancellation.CancelAsync();
        var cancelled = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => large.WaitAsync(TestTimeout));
        var smallGranted = await small.WaitAsync(TestTimeout);

        // Assert
        Assert.NotNull(cancelled);
        Assert.True(smallGranted);
        Assert.Equal(100, budget.InUse);
    }

    [Fact]
    public void AMessageLargerThanTheBudgetReservesAllOfItAndNoMore()
    {
        var budget = new WriteBudget(100);

        Assert.Equal(100, budget.Fit(1000));
        Assert.Equal(7, budget.Fit(7));
        Assert.Throws<ArgumentOutOfRangeException>(() => { _ = budget.TryReserveAsync(101, Long, CancellationToken.None).AsTask(); });
    }
}
