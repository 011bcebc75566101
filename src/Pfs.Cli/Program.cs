using System.Runtime.InteropServices;

namespace Pfs.Cli;

/// <summary>The <c>pfs</c> executable: the console's writers, Ctrl+C and SIGTERM, around <see cref="PfsCli.RunAsync"/>.</summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        using var cancel = new CancellationTokenSource();
        var terminated = false;
        Console.CancelKeyPress += (_, e) =>
        {
            // The first Ctrl+C cancels the command (a partial put is removed); a second one kills.
            e.Cancel = !cancel.IsCancellationRequested;
            cancel.Cancel();
        };

        // SIGTERM (kill, timeout, systemd, a CI runner) the same way, so a partial tree is removed and locks are
        // given back rather than the process ending on the spot; a second one kills.
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
        {
            context.Cancel = !cancel.IsCancellationRequested;
            terminated = true;
            cancel.Cancel();
        });

        var exitCode = await PfsCli.RunAsync(args, Console.Out, Console.Error, cancellationToken: cancel.Token);
        return terminated && exitCode == ExitCodes.Cancelled ? ExitCodes.Terminated : exitCode;
    }
}
