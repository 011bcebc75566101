namespace Pfs.Cli;

/// <summary>The exit codes, by convention.</summary>
internal static class ExitCodes
{
    public const int Ok = 0;
    public const int Error = 1;
    public const int Usage = 2;
    public const int Cancelled = 130;

    /// <summary>The reader of stdout went away (128 + SIGPIPE, what a shell shows for a program SIGPIPE stopped).</summary>
    public const int ReaderGone = 141;
}
