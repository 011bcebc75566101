using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Pfs.ServiceDefaults.Settings;

/// <summary>
/// The part of Main both servers share: build the app from settings, start it (trying again while
/// its port is still taken), run until shutdown, and turn every failure into one line and an exit code.
/// </summary>
public static class PfsServerProgram
{
    /// <summary>Exit code for unknown or malformed flags and bad settings.</summary>
    public const int UsageExitCode = 2;

    /// <summary>Exit code when the server could not start (port taken, data directory not writable) or stopped on an error.</summary>
    public const int FailureExitCode = 1;

    /// <summary>
    /// Tries a server start gets while its port is still taken: a restart (the dashboard's restart
    /// button, a supervisor) can start the new process while the old one is still letting go of it.
    /// </summary>
    public const int BindAttempts = 20;

    /// <summary>The pause between those tries (10 s in all).</summary>
    public static readonly TimeSpan BindRetryDelay = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// A server's Main: parses <paramref name="args"/> with <paramref name="commandLine"/> (--help, --version
    /// and a bad flag end here with their exit code), then runs the app <paramref name="build"/> makes from
    /// the flags' configuration settings, as <see cref="RunAsync(string, Func{WebApplication}, TextWriter, Action{WebApplication}, CancellationToken)"/> does.
    /// </summary>
    public static Task<int> RunAsync(
        ServerCommandLine commandLine,
        IReadOnlyList<string> args,
        Func<IReadOnlyDictionary<string, string?>, WebApplication> build,
        TextWriter output,
        TextWriter error,
        Action<WebApplication>? started = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(commandLine);
        ArgumentNullException.ThrowIfNull(build);
        var parsed = commandLine.Parse(args, output, error);
        if (parsed.ExitCode is { } exitCode)
        {
            return Task.FromResult(exitCode);
        }

        // The flags are ours, so the host gets no arguments; they arrive as the configuration keys they map to.
        return RunAsync(commandLine.ProgramName, () => build(parsed.Settings), error, started, cancellationToken);
    }

    /// <summary>
    /// Builds the app with <paramref name="build"/> and runs it until it shuts down or
    /// <paramref name="cancellationToken"/> fires; <paramref name="started"/> runs once it listens.
    /// </summary>
    public static async Task<int> RunAsync(
        string programName,
        Func<WebApplication> build,
        TextWriter error,
        Action<WebApplication>? started = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(build);
        for (var attempt = 1; ; attempt++)
        {
            WebApplication app;
            try
            {
                app = build();
            }
            catch (OptionsValidationException ex)
            {
                return WriteError(error, programName, string.Join("; ", ex.Failures), UsageExitCode);
            }
            catch (ArgumentException ex)
            {
                return WriteError(error, programName, ex.Message, UsageExitCode);
            }
            catch (InvalidOperationException ex)
            {
                // The configuration binder's way of saying a value does not fit its setting (Pfs__Port=abc).
                return WriteError(error, programName, ex.Message, UsageExitCode);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return WriteError(error, programName, ex.Message, FailureExitCode);
            }

            await using (app.ConfigureAwait(false))
            {
                try
                {
                    await app.StartAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (IOException ex) when (PfsServerHosting.IsAddressInUse(ex) && attempt < BindAttempts)
                {
                    WriteError(error, programName, $"{ex.Message} (try {attempt} of {BindAttempts}; trying again)");
                    await Task.Delay(BindRetryDelay, cancellationToken).ConfigureAwait(false);
                    continue;
                }
                catch (OptionsValidationException ex)
                {
                    return WriteError(error, programName, string.Join("; ", ex.Failures), UsageExitCode);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    return WriteError(error, programName, ex.Message, FailureExitCode);
                }

                started?.Invoke(app);
                await app.WaitForShutdownAsync(cancellationToken).ConfigureAwait(false);
                return 0;
            }
        }
    }

    /// <summary>Writes <c>Program: message</c> as one line.</summary>
    public static void WriteError(TextWriter error, string programName, string message)
    {
        ArgumentNullException.ThrowIfNull(error);
        error.WriteLine($"{programName}: {message.ReplaceLineEndings(" ")}");
    }

    private static int WriteError(TextWriter error, string programName, string message, int exitCode)
    {
        WriteError(error, programName, message);
        return exitCode;
    }
}
