using Pfs.MetaServer.Locking;

namespace Pfs.Tests.Unit.MetaServer;

public sealed class LockTableTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private const ulong File = 42;

    [Fact]
    public async Task ReadersShareAFile()
    {
        var table = new LockTable();

        var first = table.AcquireAsync(File, LockKind.Read);
        var second = table.AcquireAsync(File, LockKind.Read);

        Assert.True(first.IsCompletedSuccessfully);
        Assert.True(second.IsCompletedSuccessfully);
        (await first).Release();
        (await second).Release();
        Assert.Equal(0, table.Count);
    }

    [Fact]
    public async Task AWriterWaitsUntilEveryReaderHasReleased()
    {
        var table = new LockTable();
        var reader1 = await table.AcquireAsync(File, LockKind.Read);
        var reader2 = await table.AcquireAsync(File, LockKind.Read);

        var writer = table.AcquireAsync(File, LockKind.Write);
        reader1.Release();
        // Still queued: a grant completes the lease at once, but the awaiting task only later.
        Assert.Equal(1, table.WaitingCount(File));
        Assert.False(writer.IsCompleted);
        reader2.Release();

        (await writer.WaitAsync(Timeout)).Release();
        Assert.Equal(0, table.Count);
    }

    [Fact]
    public async Task AWriterExcludesReadersAndOtherWriters()
    {
        var table = new LockTable();
        var writer = await table.AcquireAsync(File, LockKind.Write);

        var otherWriter = table.AcquireAsync(File, LockKind.Write);
        var reader = table.AcquireAsync(File, LockKind.Read);
        Assert.False(otherWriter.IsCompleted);
        Assert.False(reader.IsCompleted);

        writer.Release();
        var second = await otherWriter.WaitAsync(Timeout);
        Assert.Equal(1, table.WaitingCount(File));
        Assert.False(reader.IsCompleted);
        second.Release();
        (await reader.WaitAsync(Timeout)).Release();
        Assert.Equal(0, table.Count);
    }

    [Fact]
    public async Task LocksOnDifferentFilesAreIndependent()
    {
        var table = new LockTable();
        var writer = await table.AcquireAsync(1, LockKind.Write);

        var other = table.AcquireAsync(2, LockKind.Write);

        Assert.True(other.IsCompletedSuccessfully);
        writer.Release();
        (await other).Release();
    }

    [Fact]
    public async Task ANewReaderQueuesBehindAWaitingWriter()
    {
        var table = new LockTable();
        var reader1 = await table.AcquireAsync(File, LockKind.Read);
        var writer = table.AcquireAsync(File, LockKind.Write);

        var reader2 = table.AcquireAsync(File, LockKind.Read);
        Assert.False(reader2.IsCompleted);

        reader1.Release();
        var writerLease = await writer.WaitAsync(Timeout);
        Assert.Equal(1, table.WaitingCount(File));
        Assert.False(reader2.IsCompleted);
        writerLease.Release();
        (await reader2.WaitAsync(Timeout)).Release();
        Assert.Equal(0, table.Count);
    }

    [Fact]
    public async Task ReadersQueuedBehindAWriterAreGrantedTogetherAfterIt()
    {
        var table = new LockTable();
        var writer1 = await table.AcquireAsync(File, LockKind.Write);
        var readers = Enumerable.Range(0, 3).Select(_ => table.AcquireAsync(File, LockKind.Read)).ToArray();
        var writer2 = table.AcquireAsync(File, LockKind.Write);

        writer1.Release();

        var granted = await Task.WhenAll(readers).WaitAsync(Timeout);
        Assert.Equal(1, table.WaitingCount(File));
        Assert.False(writer2.IsCompleted);
        foreach (var lease in granted)
        {
            lease.Release();
        }

        (await writer2.WaitAsync(Timeout)).Release();
        Assert.Equal(0, table.Count);
    }

    [Fact]
    public async Task ACancelledWaiterHoldsNothingAndUnblocksThoseBehindIt()
    {
        var table = new LockTable();
        var reader1 = await table.AcquireAsync(File, LockKind.Read);
        using var cancel = new CancellationTokenSource();
        var writer = table.AcquireAsync(File, LockKind.Write, cancel.Token);
        var reader2 = table.AcquireAsync(File, LockKind.Read);
        Assert.False(reader2.IsCompleted);

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => writer.WaitAsync(Timeout));
        var reader2Lease = await reader2.WaitAsync(Timeout);
        reader1.Release();
        reader2Lease.Release();
        Assert.Equal(0, table.Count);
    }

    [Fact]
    public async Task AnAlreadyCancelledWaitQueuesNothing()
    {
        var table = new LockTable();
        var writer = await table.AcquireAsync(File, LockKind.Write);

        var waiter = table.AcquireAsync(File, LockKind.Read, new CancellationToken(canceled: true));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiter.WaitAsync(Timeout));
        writer.Release();
        Assert.Equal(0, table.Count);
    }

    [Fact]
    public async Task GrantAndCancellationRacingNeverLeaveALockHeld()
    {
        var table = new LockTable();
        for (var i = 0; i < 2000; i++)
        {
            var holder = await table.AcquireAsync(File, LockKind.Write);
            using var cancel = new CancellationTokenSource();
            var waiter = table.AcquireAsync(File, i % 2 == 0 ? LockKind.Write : LockKind.Read, cancel.Token);
            var behind = table.AcquireAsync(File, LockKind.Read);

            await Task.WhenAll(Task.Run(holder.Release), Task.Run(cancel.Cancel)).WaitAsync(Timeout);

            try
            {
                // The grant won: the lease is ours to release.
                (await waiter.WaitAsync(Timeout)).Release();
            }
            catch (OperationCanceledException)
            {
                // The cancellation won: nothing is held.
            }

            (await behind.WaitAsync(Timeout)).Release();
            Assert.Equal(0, table.Count);
        }
    }

    [Fact]
    public async Task FailGivesEveryWaiterTheExceptionAndForgetsTheFile()
    {
        var table = new LockTable();
        var holder = await table.AcquireAsync(File, LockKind.Write);
        var reader = table.AcquireAsync(File, LockKind.Read);
        var writer = table.AcquireAsync(File, LockKind.Write);
        var failure = new InvalidOperationException("deleted");

        table.Fail(File, failure);

        Assert.Same(failure, await Assert.ThrowsAsync<InvalidOperationException>(() => reader.WaitAsync(Timeout)));
        Assert.Same(failure, await Assert.ThrowsAsync<InvalidOperationException>(() => writer.WaitAsync(Timeout)));
        await Assert.ThrowsAsync<InvalidOperationException>(() => table.AcquireAsync(File, LockKind.Read));
        holder.Release();
        Assert.Equal(0, table.Count);
    }

    [Fact]
    public async Task ReleasingALeaseTwiceReleasesItOnce()
    {
        var table = new LockTable();
        var reader1 = await table.AcquireAsync(File, LockKind.Read);
        var reader2 = await table.AcquireAsync(File, LockKind.Read);

        reader1.Release();
        reader1.Release();
        var writer = table.AcquireAsync(File, LockKind.Write);

        Assert.False(writer.IsCompleted);
        reader2.Release();
        (await writer.WaitAsync(Timeout)).Release();
    }
}
