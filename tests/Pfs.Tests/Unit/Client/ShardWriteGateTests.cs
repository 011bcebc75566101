using Pfs.Client.Transport;

namespace Pfs.Tests.Unit.Client;

public sealed class ShardWriteGateTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task AHealWaitsForTheWritesInsideAndLaterWritesWaitForTheHeal()
    {
        var gate = new ShardWriteGate();
        var inside = await gate.EnterAsync(CancellationToken.None);
        var healStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var healMayEnd = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var heal = gate.RunAloneAsync(async () =>
        {
            healStarted.SetResult();
            await healMayEnd.Task;
        }, CancellationToken.None);

        // The heal has the turnstile and waits for the write inside: a later write waits behind it.
        var later = gate.EnterAsync(CancellationToken.None).AsTask();
        Assert.False(healStarted.Task.IsCompleted);
        Assert.False(later.IsCompleted);

        inside.Dispose();
        await healStarted.Task.WaitAsync(Timeout);
        Assert.False(later.IsCompleted);

        healMayEnd.SetResult();
        Assert.True(await heal.WaitAsync(Timeout));
        (await later.WaitAsync(Timeout)).Dispose();
    }

    [Fact]
    public async Task AHealRunsAtOnceWithNoWriteInside()
    {
        var gate = new ShardWriteGate();
        (await gate.EnterAsync(CancellationToken.None)).Dispose();
        var ran = false;
        Assert.True(await gate.RunAloneAsync(() =>
        {
            ran = true;
            return Task.CompletedTask;
        }, CancellationToken.None).WaitAsync(Timeout));
        Assert.True(ran);
    }

    [Fact]
    public async Task AfterTheCloseNoHealRunsButWritesStillEnter()
    {
        var gate = new ShardWriteGate();
        await gate.CloseAsync().WaitAsync(Timeout);
        var ran = false;
        Assert.False(await gate.RunAloneAsync(() =>
        {
            ran = true;
            return Task.CompletedTask;
        }, CancellationToken.None).WaitAsync(Timeout));
        Assert.False(ran);
        (await gate.EnterAsync(CancellationToken.None).AsTask().WaitAsync(Timeout)).Dispose();
    }

    [Fact]
    public async Task TheCloseWaitsForAHealThatRuns()
    {
        var gate = new ShardWriteGate();
        var healMayEnd = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var healStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var heal = gate.RunAloneAsync(async () =>
        {
            healStarted.SetResult();
            await healMayEnd.Task;
        }, CancellationToken.None);
        await healStarted.Task.WaitAsync(Timeout);
        var close = gate.CloseAsync();
        Assert.False(close.IsCompleted);
        healMayEnd.SetResult();
        Assert.True(await heal.WaitAsync(Timeout));
        await close.WaitAsync(Timeout);
    }
}
