using System.Diagnostics;
using Spectre.Console;

namespace Pfs.Cli.Output;

/// <summary>
/// Runs a transfer, with a live bar (bytes, rate, ETA) on a terminal, then prints a one-line
/// summary either way: redirected output gets only the summary.
/// </summary>
internal static class TransferProgress
{
    /// <param name="console">Where to draw.</param>
    /// <param name="label">What moves, e.g. <c>put data.bin</c>.</param>
    /// <param name="total">Bytes expected, or null if unknown (reading a pipe).</param>
    /// <param name="show">False to draw nothing live (the data itself goes to stdout).</param>
    /// <param name="transfer">
    /// The transfer; it reports each chunk's bytes as they land (from several copies at once if it likes) and
    /// returns the total moved.
    /// </param>
    public static async Task<long> RunAsync(CliConsole console, string label, long? total, bool show, Func<Action<long>, Task<long>> transfer)
    {
        var clock = Stopwatch.StartNew();
        long moved;
        if (show && console.Interactive)
        {
            moved = await console.Ansi.Progress()
                .AutoClear(false)
                .HideCompleted(false)
                .Columns(
                    new TaskDescriptionColumn(),
                    new ProgressBarColumn(),
                    new PercentageColumn(),
                    new DownloadedColumn(),
                    new TransferSpeedColumn(),
                    new RemainingTimeColumn(),
                    new SpinnerColumn())
                .StartAsync(async context =>
                {
                    var task = context.AddTask(Markup.Escape(label), maxValue: Math.Max(1, total ?? 0));
                    task.IsIndeterminate = total is null;
                    var gate = new Lock();
                    var result = await transfer(bytes =>
                    {
                        lock (gate)
                        {
                            task.Increment(bytes);
                        }
                    }).ConfigureAwait(false);
                    task.Value = task.MaxValue;
                    task.StopTask();
                    return result;
                }).ConfigureAwait(false);
        }
        else
        {
            moved = await transfer(static _ => { }).ConfigureAwait(false);
        }

        clock.Stop();
        if (show)
        {
            console.Out.WriteLine($"{label}: {moved} bytes ({Sizes.Format(moved)}) in {clock.Elapsed.TotalSeconds:0.00} s, {Sizes.Rate(moved, clock.Elapsed)}");
        }

        return moved;
    }
}
