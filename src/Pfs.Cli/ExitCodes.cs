namespace Pfs.Cli;

/// <summary>The exit codes, by convention.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;
    public const int Error = 1;
    public const int Usage = 2;
    /// <summary>Cancelled by Ctrl+C (128 + SIGINT).</summary>
    public const int Cancelled = 130;

    /// <summary>Cancelled by SIGTERM (128 + SIGTERM), after the same clean-up as Ctrl+C.</summary>
    public const int Terminated = 143;

    /// <summary>The reader of stdout went away (128 + SIGPIPE, what a shell shows for a program SIGPIPE stopped).</summary>
    public const int ReaderGone = 141;
}
