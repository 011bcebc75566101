using Microsoft.Extensions.DependencyInjection;
using Pfs.Client;
using Pfs.LocalCluster;
using Pfs.MetaServer.Locking;
using Pfs.Tests.Fixtures;

namespace Pfs.Tests.Integration.Client;

/// <summary>
/// Advisory locks between clients (the calls a mount makes for fcntl and flock) against a real metadata server:
/// conflicts across clients, a wait granted when the holder lets go, and a holder that vanishes losing its locks
/// when its lease ends.
/// </summary>
public sealed class AdvisoryLockTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private PfsCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await PfsCluster.StartAsync(fileServers: 1, leaseTimeout: TimeSpan.FromSeconds(1));

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task ALockOfOneClientRefusesAnotherAndAWaiterIsGrantedWhenTheHolderUnlocks()
    {
        // Arrange
        await using var a = await _cluster.ConnectAsync();
        await using var b = await _cluster.ConnectAsync();
        await a.CreateAsync("shared", stripeWidth: 1);
        var file = (await a.StatAsync("shared")).Inode;
        Assert.Null(await a.LockAsync(file, owner: 1, write: true, 0, 99, flock: false, pid: 11, wait: false));

        // Act
        var refused = await b.LockAsync(file, owner: 1, write: false, 50, 50, flock: false, pid: 22, wait: false);
        var tested = await b.TestLockAsync(file, owner: 1, write: false, 0, ulong.MaxValue, flock: false);
        var elsewhere = await b.LockAsync(file, owner: 1, write: true, 100, 199, flock: false, pid: 22, wait: false);
        var waiting = b.LockAsync(file, owner: 1, write: true, 0, 10, flock: false, pid: 22, wait: true);
        await Wait.UntilAsync(() => RangeLocks.WaitingCount(file) == 1, "b waits for the lock");
        Assert.False(waiting.IsCompleted);
        await a.UnlockAsync(file, owner: 1, 0, ulong.MaxValue, flock: false);

        // Assert: the pid of another client's lock means nothing here, so it is 0
        Assert.Equal(new PfsLockConflict(Write: true, 0, 99, Pid: 0), refused);
        Assert.Equal(refused, tested);
        Assert.Null(elsewhere);
        Assert.Null(await waiting.WaitAsync(Timeout));
        Assert.Equal([(0UL, 10UL), (100UL, 199UL)], RangeLocks.Held(file).Select(l => (l.Start, l.End)).Order());
    }

    [Fact]
    public async Task AClientThatGoesAwayHoldingALockLosesItWhenItsLeaseEnds()
    {
        // Arrange
        var a = await _cluster.ConnectAsync();
        await using var b = await _cluster.ConnectAsync();
        await a.CreateAsync("abandoned", stripeWidth: 1);
        var file = (await a.StatAsync("abandoned")).Inode;
        Assert.Null(await a.LockAsync(file, owner: 7, write: true, 0, ulong.MaxValue, flock: true, pid: 1, wait: false));
        var waiting = b.LockAsync(file, owner: 9, write: true, 0, ulong.MaxValue, flock: true, pid: 2, wait: true);
        await Wait.UntilAsync(() => RangeLocks.WaitingCount(file) == 1, "b waits for the flock");

        // Act: a goes without unlocking (as a mount killed with SIGKILL does)
        await a.DisposeAsync();

        // Assert
        Assert.Null(await waiting.WaitAsync(Timeout));
        Assert.Equal([9UL], RangeLocks.Held(file).Select(l => l.Owner.Owner));
    }

    [Fact]
    public async Task BadLockRequestsFailInOneLineAndChangeNothing()
    {
        // Arrange
        await using var a = await _cluster.ConnectAsync();
        await a.CreateDirectoryAsync("not-a-file");
        var directory = (await a.StatAsync("not-a-file")).Inode;

        // Act
        var backward = await Assert.ThrowsAsync<PfsException>(() => a.LockAsync(directory, 1, write: false, 10, 9, flock: false, pid: 1, wait: false));
        var missing = await Assert.ThrowsAsync<PfsException>(() => a.LockAsync(987_654_321, 1, write: false, 0, 9, flock: false, pid: 1, wait: false));
        var onDirectory = await Assert.ThrowsAsync<PfsException>(() => a.LockAsync(directory, 1, write: false, 0, 9, flock: false, pid: 1, wait: false));

        // Assert
        Assert.Equal(PfsErrorCode.InvalidArgument, backward.Code);
        Assert.Equal(PfsErrorCode.NotFound, missing.Code);
        Assert.Equal(PfsErrorCode.NotFound, onDirectory.Code);
        Assert.Equal(0, RangeLocks.Count);
    }

    private RangeLockTable RangeLocks => _cluster.MetaServices.GetRequiredService<RangeLockTable>();
}
