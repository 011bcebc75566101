namespace Pfs.Cli;

/// <summary>The <c>pfs</c> executable: the console's writers and Ctrl+C, around <see cref="PfsCli.RunAsync"/>.</summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            // The first Ctrl+C cancels the command (a partial put is removed); a second one kills.
            e.Cancel = !cancel.IsCancellationRequested;
            cancel.Cancel();
        };

        return await PfsCli.RunAsync(args, Console.Out, Console.Error, cancellationToken: cancel.Token);
    }
}
