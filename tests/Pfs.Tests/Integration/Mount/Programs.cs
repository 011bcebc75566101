using System.Diagnostics;
using System.Text;

namespace Pfs.Tests.Integration.Mount;

/// <summary>Runs real programs (coreutils, python3, tar, git, sqlite3, fio, ...) against a mount, each with a deadline.</summary>
internal static class Programs
{
    public sealed record Result(int ExitCode, string Output, string Error)
    {
        public override string ToString() => $"exit {ExitCode}{Environment.NewLine}stdout: {Output}{Environment.NewLine}stderr: {Error}";
    }

    /// <summary>Whether a program is on the PATH (CI installs them in .ci/run).</summary>
    public static bool Has(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':').Any(dir => File.Exists(Path.Combine(dir, program)));

    public static async Task<Result> RunAsync(string program, IEnumerable<string> args, string? workingDirectory = null,
        string? input = null, TimeSpan? timeout = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = input is not null,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory ?? Environment.CurrentDirectory,
        };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (input is not null)
        {
            await process.StandardInput.WriteAsync(input);
            process.StandardInput.Close();
        }

        var limit = timeout ?? TimeSpan.FromSeconds(60);
        try
        {
            await process.WaitForExitAsync().WaitAsync(limit);
        }
        catch (TimeoutException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{program} {string.Join(' ', args)} did not finish within {limit.TotalSeconds:0} s; stderr so far: {await SoFar(error)}");
        }

        return new Result(process.ExitCode, await output, await error);
    }

    /// <summary>Runs a python3 script (the syscalls coreutils do not cover), failing the test unless it exits 0.</summary>
    public static async Task<string> PythonAsync(string script, string workingDirectory, TimeSpan? timeout = null)
    {
        var result = await RunAsync("python3", ["-c", script], workingDirectory, timeout: timeout);
        Assert.True(result.ExitCode == 0, $"python3 failed: {result}");
        return result.Output;
    }

    /// <summary>Runs a shell command line, failing the test unless it exits 0.</summary>
    public static async Task<string> ShAsync(string command, string workingDirectory, TimeSpan? timeout = null)
    {
        var result = await RunAsync("bash", ["-c", "set -euo pipefail; " + command], workingDirectory, timeout: timeout);
        Assert.True(result.ExitCode == 0, $"'{command}' failed: {result}");
        return result.Output;
    }

    private static async Task<string> SoFar(Task<string> text) =>
        text.IsCompleted ? await text : string.Empty;

    public static string Lines(params string[] lines) => string.Join('\n', lines) + '\n';

    public static string Utf8(byte[] bytes) => Encoding.UTF8.GetString(bytes);
}
