using System.Diagnostics;
using System.Globalization;

namespace Pfs.Tests.Fixtures;

/// <summary>A built Pfs executable run as a real child process, so a test can SIGKILL it.</summary>
public sealed class ChildProcess : IDisposable
{
    private readonly Process _process;
    private readonly TaskCompletionSource<string> _firstLine = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<string> _output = [];
    private bool _disposed;

    private ChildProcess(Process process) => _process = process;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return string.Join(Environment.NewLine, _output);
            }
        }
    }

    /// <summary>The process id (of dotnet itself, also when started through a shell).</summary>
    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>The exit code, once it has exited.</summary>
    public int ExitCode => _process.ExitCode;

    /// <summary>Starts <c>dotnet ASSEMBLY.dll args</c> from the test's own output folder.</summary>
    public static ChildProcess Start(string assembly, params string[] args) => Start(assembly, environment: null, args);

    /// <summary>The same with extra environment variables (configuration keys, as <c>Section__Key</c>).</summary>
    public static ChildProcess Start(string assembly, IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet");
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, assembly + ".dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        return Run(start);
    }

    /// <summary>As <see cref="Start(string, string[])"/>, with <paramref name="environment"/> added to the child's environment (configuration keys as <c>Pfs__Key</c>).</summary>
    public static ChildProcess StartWithEnvironment(IReadOnlyDictionary<string, string> environment, string assembly, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet");
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, assembly + ".dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        return Run(start);
    }

    /// <summary>
    /// As <see cref="Start(string, string[])"/>, with the process's open-file limit (<c>ulimit -n</c>) lowered to
    /// <paramref name="openFiles"/>: a shell sets it and then becomes dotnet (exec), so <see cref="Pid"/> is the server's.
    /// </summary>
    public static ChildProcess StartWithOpenFileLimit(int openFiles, string assembly, params string[] args) =>
        StartWithOpenFileLimit(openFiles, environment: null, assembly, args);

    public static ChildProcess StartWithOpenFileLimit(int openFiles, IReadOnlyDictionary<string, string>? environment, string assembly, params string[] args)
    {
        // The arguments reach the script as $1.. ("$@"), never as shell text.
        var start = new ProcessStartInfo("bash");
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add($"ulimit -n {openFiles} && exec dotnet \"$@\"");
        start.ArgumentList.Add("bash");
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, assembly + ".dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        return Run(start);
    }

    private static ChildProcess Run(ProcessStartInfo start)
    {
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var child = new ChildProcess(process);
        process.OutputDataReceived += (_, e) => child.Add(e.Data);
        process.ErrorDataReceived += (_, e) => child.Add(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Waits for a line of output containing <paramref name="text"/>.</summary>
    public async Task WaitForAsync(string text, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!Output.Contains(text, StringComparison.Ordinal))
        {
            if (_process.HasExited || clock.Elapsed > timeout)
            {
                throw new TimeoutException($"'{text}' did not appear (exited: {_process.HasExited}); output:{Environment.NewLine}{Output}");
            }

            await Task.Delay(20);
        }
    }

    /// <summary>Waits for the process to end by itself (a crash point it reached, say).</summary>
    public async Task WaitForExitAsync(TimeSpan timeout) => await _process.WaitForExitAsync().WaitAsync(timeout);

    /// <summary>SIGKILL: no chance to flush, close or say goodbye.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
    }

    /// <summary>SIGSTOP or SIGCONT: a process that is hung (it keeps its sockets, and answers nothing) or resumed.</summary>
    public void Pause(bool paused)
    {
        using var kill = Process.Start("kill", [paused ? "-STOP" : "-CONT", _process.Id.ToString(CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
        if (kill.ExitCode != 0)
        {
            throw new InvalidOperationException($"kill {(paused ? "-STOP" : "-CONT")} {_process.Id} failed: exit {kill.ExitCode}");
        }
    }

    /// <summary>Kills the process if it still runs; safe to call again (a test's finally may, after the test did).</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
    }

    private void Add(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.Add(line);
        }
    }
}
