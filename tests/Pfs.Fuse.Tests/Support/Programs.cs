using System.Diagnostics;

namespace Pfs.Fuse.Tests.Support;

/// <summary>Runs ordinary programs (stat, ls, dd, umount, python3) against a mount, each with a timeout.</summary>
internal static class Programs
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    public sealed record Result(int ExitCode, string Output, string Error);

    public static async Task<Result> RunAsync(string program, params string[] arguments)
    {
        using var process = Start(program, arguments);
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        try
        {
            await process.WaitForExitAsync().WaitAsync(Timeout);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', arguments)} did not finish within {Timeout}");
        }
        return new Result(process.ExitCode, await output, await error);
    }

    /// <summary>Runs a program and answers its standard output, failing the test on a non-zero exit.</summary>
    public static async Task<string> OutputOfAsync(string program, params string[] arguments)
    {
        var result = await RunAsync(program, arguments);
        Assert.True(result.ExitCode == 0, $"{program} {string.Join(' ', arguments)} exited {result.ExitCode}: {result.Error}");
        return result.Output;
    }

    public static Process Start(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in arguments)
            start.ArgumentList.Add(argument);
        return Process.Start(start) ?? throw new InvalidOperationException($"{program} did not start");
    }
}
