using System.Diagnostics;

namespace Pfs.Tests.Fixtures;

/// <summary>Waiting for something to become true, with a deadline, for state that raises no event a test can await.</summary>
public static class Wait
{
    public static Task UntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        UntilAsync(() => Task.FromResult(condition()), what, timeout);

    /// <summary>The same for a condition that has to ask a server (each ask is bounded by the caller).</summary>
    public static async Task UntilAsync(Func<Task<bool>> condition, string what, TimeSpan? timeout = null)
    {
        var limit = timeout ?? TimeSpan.FromSeconds(10);
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > limit)
            {
                throw new TimeoutException($"timed out after {limit.TotalSeconds:0.#} s waiting until {what}");
            }

            await Task.Delay(10);
        }
    }
}
