using System.Text;
using Pfs.Cli;
using Pfs.LocalCluster;

namespace Pfs.Tests.Integration.Cli;

/// <summary>What one <c>pfs</c> run printed and returned.</summary>
internal sealed record CliResult(int ExitCode, byte[] StdoutBytes, string Stderr)
{
    public string Stdout => Encoding.UTF8.GetString(StdoutBytes);

    public string[] StderrLines => Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);

    public override string ToString() => $"exit {ExitCode}; stdout: {Stdout}; stderr: {Stderr}";
}

/// <summary>Runs the <c>pfs</c> command line in-process, capturing its output, with an empty environment unless given one.</summary>
internal static class CliRunner
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    /// <summary>Runs <c>pfs --meta (cluster) args...</c>.</summary>
    public static Task<CliResult> RunAsync(PfsCluster cluster, params string[] args) =>
        RunRawAsync(["--meta", cluster.MetaServerAddress.ToString(), .. args]);

    /// <summary>Runs <c>pfs --meta (cluster) args...</c> with stderr going to <paramref name="stderr"/> as it is written.</summary>
    public static Task<CliResult> RunAsync(PfsCluster cluster, LiveText stderr, params string[] args) =>
        RunRawAsync(["--meta", cluster.MetaServerAddress.ToString(), .. args], stderr: stderr);

    public static async Task<CliResult> RunRawAsync(string[] args, IReadOnlyDictionary<string, string?>? environment = null,
        CancellationToken cancellationToken = default, TextWriter? stderr = null)
    {
        var stdout = new MemoryStream();
        stderr ??= new StringWriter();
        await using var writer = new StreamWriter(stdout, new UTF8Encoding(false), leaveOpen: true) { AutoFlush = true };
        var exitCode = await PfsCli.RunAsync(args, writer, stderr, environment ?? new Dictionary<string, string?>(), cancellationToken)
            .WaitAsync(Timeout, CancellationToken.None);
        return new CliResult(exitCode, stdout.ToArray(), stderr.ToString() ?? string.Empty);
    }

    /// <summary>Asserts a failure with exactly one <c>pfs: ...</c> line on stderr and nothing on stdout.</summary>
    public static void AssertFailed(CliResult result, int exitCode, string mentioning)
    {
        Assert.True(result.ExitCode == exitCode, result.ToString());
        var line = Assert.Single(result.StderrLines);
        Assert.StartsWith("pfs: ", line);
        Assert.Contains(mentioning, line);
        Assert.Empty(result.StdoutBytes);
    }
}

/// <summary>A writer that may be read (<see cref="ToString"/>) while a command still writes to it from other threads.</summary>
internal sealed class LiveText : TextWriter
{
    private readonly Lock _gate = new();
    private readonly System.Text.StringBuilder _text = new();

    public override Encoding Encoding => Encoding.UTF8;

    public override void Write(char value)
    {
        lock (_gate)
        {
            _text.Append(value);
        }
    }

    public override void Write(string? value)
    {
        lock (_gate)
        {
            _text.Append(value);
        }
    }

    public override void WriteLine(string? value) => Write(value + NewLine);

    public override string ToString()
    {
        lock (_gate)
        {
            return _text.ToString();
        }
    }
}
