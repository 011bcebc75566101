using CsCheck;
using Pfs.MetaServer.Locking;
using Pfs.Tests.Fixtures;

namespace Pfs.Tests.Unit.MetaServer;

public sealed class RangeLockTableTests
{
    private const ulong File = 7;
    private static readonly RangeLockOwner A = new("client-a", 1, Flock: false);
    private static readonly RangeLockOwner B = new("client-b", 1, Flock: false);

    [Fact]
    public void ReadLocksOfTwoOwnersShareAndAWriteLockInTheirRangeIsRefusedWithTheLockInTheWay()
    {
        // Arrange
        var table = new RangeLockTable();
        Assert.Null(table.TryLock(File, A, 0, 99, write: false, pid: 10));
        Assert.Null(table.TryLock(File, B, 50, 149, write: false, pid: 20));

        // Act
        var refused = table.TryLock(File, B, 90, 95, write: true, pid: 20);

        // Assert
        Assert.NotNull(refused);
        Assert.Equal((A, 0UL, 99UL, false, 10U), (refused.Owner, refused.Start, refused.End, refused.Write, refused.Pid));
        Assert.Null(table.TryLock(File, B, 100, 149, write: true, pid: 20));
        Assert.Equal([(A, 0UL, 99UL, false), (B, 50UL, 99UL, false), (B, 100UL, 149UL, true)],
            table.Held(File).Select(l => (l.Owner, l.Start, l.End, l.Write)).OrderBy(l => l.Start).ThenBy(l => l.Owner.ClientId, StringComparer.Ordinal));
    }

    [Fact]
    public void AnUnlockInTheMiddleSplitsTheOwnersLockAndLetsAnotherOwnerIn()
    {
        // Arrange
        var table = new RangeLockTable();
        table.TryLock(File, A, 0, ulong.MaxValue, write: true, pid: 1);

        // Act
        table.Unlock(File, A, 10, 19);

        // Assert
        Assert.Equal([(0UL, 9UL), (20UL, ulong.MaxValue)], table.Held(File).Select(l => (l.Start, l.End)).Order());
        Assert.Null(table.TryLock(File, B, 10, 19, write: true, pid: 2));
        Assert.NotNull(table.FindConflict(File, B, 9, 10, write: false));
    }

    [Fact]
    public void FlockAndFcntlLocksOnOneFileDoNotConflict()
    {
        // Arrange
        var table = new RangeLockTable();
        var flockOfB = B with { Flock = true };
        table.TryLock(File, A, 0, ulong.MaxValue, write: true, pid: 1);

        // Act
        var flock = table.TryLock(File, flockOfB, 0, ulong.MaxValue, write: true, pid: 2);
        var secondFlock = table.TryLock(File, A with { Flock = true }, 0, ulong.MaxValue, write: false, pid: 1);

        // Assert
        Assert.Null(flock);
        Assert.Equal(flockOfB, secondFlock?.Owner);
    }

    [Fact]
    public async Task AWaiterIsGrantedWhenTheLockInItsWayGoesAndNotBefore()
    {
        // Arrange
        var table = new RangeLockTable();
        table.TryLock(File, A, 0, 9, write: true, pid: 1);
        table.TryLock(File, A, 20, 29, write: true, pid: 1);
        var waiting = table.LockAsync(File, B, 5, 25, write: false, pid: 2, CancellationToken.None);
        await Wait.UntilAsync(() => table.WaitingCount(File) == 1, "one waiter");

        // Act: the first lock goes; the second is still in the way
        table.Unlock(File, A, 0, 9);
        await Wait.UntilAsync(() => table.Rechecks == 1 && table.WaitingCount(File) == 1, "the waiter looked again and waits on");
        Assert.False(waiting.IsCompleted);
        table.Unlock(File, A, 20, 29);
        await waiting.WaitAsync(TimeSpan.FromSeconds(10));

        // Assert
        Assert.Equal([(B, 5UL, 25UL)], table.Held(File).Select(l => (l.Owner, l.Start, l.End)));
        Assert.Equal(0, table.WaitingCount(File));
    }

    [Fact]
    public async Task AWaiterThatGivesUpHoldsNothingAndLeavesNoEntry()
    {
        // Arrange
        var table = new RangeLockTable();
        table.TryLock(File, A, 0, 0, write: true, pid: 1);
        using var giveUp = new CancellationTokenSource();
        var waiting = table.LockAsync(File, B, 0, 0, write: true, pid: 2, giveUp.Token);
        await Wait.UntilAsync(() => table.WaitingCount(File) == 1, "one waiter");

        // Act
        await giveUp.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(TimeSpan.FromSeconds(10)));
        table.Unlock(File, A, 0, 0);

        // Assert
        Assert.Empty(table.Held(File));
        Assert.Equal(0, table.Count);
    }

    [Fact]
    public async Task AClientWhoseLeaseEndsLetsGoOfEveryLockItHeldAndItsWaitersAreGranted()
    {
        // Arrange
        var table = new RangeLockTable();
        table.TryLock(File, A, 0, 9, write: true, pid: 1);
        table.TryLock(File + 1, A with { Owner = 2 }, 0, 9, write: false, pid: 3);
        table.TryLock(File + 1, B, 0, 9, write: false, pid: 2);
        var waiting = table.LockAsync(File, B, 0, 0, write: true, pid: 2, CancellationToken.None);
        await Wait.UntilAsync(() => table.WaitingCount(File) == 1, "one waiter");

        // Act
        var released = table.ReleaseClient(A.ClientId);
        await waiting.WaitAsync(TimeSpan.FromSeconds(10));

        // Assert
        Assert.Equal(2, released);
        Assert.Equal([B], table.Held(File).Select(l => l.Owner));
        Assert.Equal([B], table.Held(File + 1).Select(l => l.Owner));
    }

    [Fact]
    public async Task AWaitThatClosesACycleOfThreeOwnersOnTwoFilesIsRefusedAtOnceAndTheOthersStillWait()
    {
        // Arrange: A holds byte 0 of the file, B byte 1, C byte 0 of another; A waits for B, B waits for C.
        var table = new RangeLockTable();
        var c = new RangeLockOwner("client-c", 3, Flock: false);
        table.TryLock(File, A, 0, 0, write: true, pid: 1);
        table.TryLock(File, B, 1, 1, write: true, pid: 2);
        table.TryLock(File + 1, c, 0, 0, write: true, pid: 3);
        var aWaits = table.LockAsync(File, A, 1, 1, write: true, pid: 1, CancellationToken.None);
        var bWaits = table.LockAsync(File + 1, B, 0, 0, write: false, pid: 2, CancellationToken.None);
        await Wait.UntilAsync(() => table.WaitingCount(File) == 1 && table.WaitingCount(File + 1) == 1, "A and B wait");

        // Act: C asks for A's byte
        var refused = await table.LockAsync(File, c, 0, 0, write: false, pid: 3, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));

        // Assert: refused with A's lock; A and B still wait, and go on once C lets go
        Assert.Equal((A, 0UL, 0UL), (refused?.Owner, refused?.Start, refused?.End));
        Assert.False(aWaits.IsCompleted || bWaits.IsCompleted);
        table.Unlock(File + 1, c, 0, 0);
        Assert.Null(await bWaits.WaitAsync(TimeSpan.FromSeconds(10)));
        table.Unlock(File, B, 1, 1);
        Assert.Null(await aWaits.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task FlockWaitsAreNotCheckedForDeadlockAndAWaitWithoutACycleWaits()
    {
        // Arrange: A holds flock on the file and waits for B's flock on another; B's flock request on the first would close a cycle.
        var table = new RangeLockTable();
        var (flockA, flockB) = (A with { Flock = true }, B with { Flock = true });
        table.TryLock(File, flockA, 0, ulong.MaxValue, write: true, pid: 1);
        table.TryLock(File + 1, flockB, 0, ulong.MaxValue, write: true, pid: 2);
        using var cancel = new CancellationTokenSource();
        var aWaits = table.LockAsync(File + 1, flockA, 0, ulong.MaxValue, write: true, pid: 1, cancel.Token);
        await Wait.UntilAsync(() => table.WaitingCount(File + 1) == 1, "A waits");

        // Act
        var bWaits = table.LockAsync(File, flockB, 0, ulong.MaxValue, write: true, pid: 2, cancel.Token);
        await Wait.UntilAsync(() => table.WaitingCount(File) == 1, "B waits too");

        // Assert: both wait (as flock does on Linux) until one gives up
        Assert.False(bWaits.IsCompleted);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => aWaits.WaitAsync(TimeSpan.FromSeconds(10)));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => bWaits.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public void ABackwardRangeIsRefused() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new RangeLockTable().TryLock(File, A, 10, 9, write: false, pid: 1));

    /// <summary>
    /// Random locks and unlocks of three owners (two of them in one client) against a model that records, for every
    /// byte, which owner holds it and how: each grant or refusal and, after every step, every byte's holders match
    /// it, and no owner holds a byte twice. Bytes 0-19 are themselves; byte 20 stands for everything from 20 on,
    /// which only a lock to the end of the file (ulong.MaxValue) reaches.
    /// </summary>
    [Fact]
    public void RandomLocksAndUnlocksMatchAByteByByteModel()
    {
        RangeLockOwner[] owners = [A, B, A with { Owner = 2 }];
        var step = Gen.Select(Gen.Int[0, 2], Gen.Int[0, 19], Gen.Int[0, 20], Gen.Int[0, 2]);
        step.Array[1, 40].Sample(steps =>
        {
            var table = new RangeLockTable();
            var model = new Dictionary<RangeLockOwner, bool>[21];
            for (var b = 0; b < model.Length; b++)
            {
                model[b] = [];
            }

            foreach (var (who, from, to, what) in steps)
            {
                var owner = owners[who];
                var (start, last) = (Math.Min(from, to), Math.Max(from, to));
                var end = last == 20 ? ulong.MaxValue : (ulong)last;
                if (what == 2)
                {
                    table.Unlock(File, owner, (ulong)start, end);
                    for (var b = start; b <= last; b++)
                    {
                        model[b].Remove(owner);
                    }
                }
                else
                {
                    var write = what == 1;
                    var expectConflict = Enumerable.Range(start, last - start + 1)
                        .Any(b => model[b].Any(held => held.Key != owner && (held.Value || write)));
                    var conflict = table.TryLock(File, owner, (ulong)start, end, write, pid: (uint)who);
                    Assert.Equal(expectConflict, conflict is not null);
                    if (conflict is null)
                    {
                        for (var b = start; b <= last; b++)
                        {
                            model[b][owner] = write;
                        }
                    }
                }

                var held = table.Held(File);
                for (var b = 0; b <= 20; b++)
                {
                    var covering = held.Where(l => l.Overlaps((ulong)b, (ulong)b)).ToList();
                    Assert.Equal(covering.Count, covering.Select(l => l.Owner).Distinct().Count());
                    Assert.Equal(model[b].OrderBy(h => h.Key.Owner).ThenBy(h => h.Key.ClientId, StringComparer.Ordinal),
                                 covering.Select(l => KeyValuePair.Create(l.Owner, l.Write)).OrderBy(h => h.Key.Owner).ThenBy(h => h.Key.ClientId, StringComparer.Ordinal));
                }

                // The last model byte stands for everything from 20 on: no lock may end between 20 and the end of the file.
                Assert.All(held, l => Assert.True(l.End < 20 || l.End == ulong.MaxValue));
            }

            Assert.Equal(table.Held(File).Count == 0 ? 0 : 1, table.Count);
        });
    }
}
