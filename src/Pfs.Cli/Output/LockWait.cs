namespace Pfs.Cli.Output;

/// <summary>
/// Calls that may wait for another client's lock (an open, a delete): Pfs's reader-writer locks are first
/// come, first served and have no deadline, so a command queued behind a reader or writer elsewhere would
/// otherwise sit silent. If the call has not returned after <see cref="NoticeAfter"/>, one line on stderr
/// says what it waits for; the wait itself goes on until the lock comes or Ctrl-C.
/// </summary>
internal static class LockWait
{
    /// <summary>How long a call may take before the wait is said.</summary>
    public static readonly TimeSpan NoticeAfter = TimeSpan.FromSeconds(1);

    public static async Task<T> NoticeAsync<T>(CliConsole console, string name, Func<Task<T>> call)
    {
        var pending = call();
        if (!pending.IsCompleted)
        {
            using var quiet = new CancellationTokenSource();
            var shown = await Task.WhenAny(pending, Task.Delay(NoticeAfter, quiet.Token)).ConfigureAwait(false) != pending;
            await quiet.CancelAsync().ConfigureAwait(false);
            if (shown)
            {
                console.Note($"waiting for '{name}': another client has it open (Ctrl-C to give up)");
            }
        }

        return await pending.ConfigureAwait(false);
    }

    public static Task NoticeAsync(CliConsole console, string name, Func<Task> call) =>
        NoticeAsync(console, name, async () =>
        {
            await call().ConfigureAwait(false);
            return true;
        });
}
