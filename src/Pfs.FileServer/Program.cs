using System.CommandLine;
using System.CommandLine.Invocation;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Pfs.FileServer.Storage;
using Pfs.ServiceDefaults;

namespace Pfs.FileServer;

// An explicit Main rather than top-level statements: one test project references several servers.
internal static partial class Program
{
    /// <summary>Exit code for a bad command line or missing setting.</summary>
    internal const int UsageExitCode = 2;

    /// <summary>Exit code when the server could not start (port taken, data directory not writable).</summary>
    internal const int StartFailedExitCode = 1;

    private const string ProgramName = "Pfs.FileServer";

    public static async Task<int> Main(string[] args)
    {
        if (!TryParse(args, Console.Out, Console.Error, out var options, out var exitCode))
        {
            return exitCode;
        }

        for (var attempt = 1; ; attempt++)
        {
            WebApplication app;
            try
            {
                app = FileServerApp.Build(options);
            }
            catch (ArgumentException ex)
            {
                return Fail(Console.Error, ex.Message, UsageExitCode);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return Fail(Console.Error, $"cannot use the data directory: {ex.Message}", StartFailedExitCode);
            }

            await using (app.ConfigureAwait(false))
            {
                try
                {
                    await app.StartAsync().ConfigureAwait(false);
                }
                catch (IOException ex) when (PfsServerHosting.IsAddressInUse(ex) && attempt < PfsServerHosting.BindAttempts)
                {
                    Fail(Console.Error, $"{ex.Message} (try {attempt} of {PfsServerHosting.BindAttempts}; trying again)", StartFailedExitCode);
                    await Task.Delay(PfsServerHosting.BindRetryDelay).ConfigureAwait(false);
                    continue;
                }
                catch (IOException ex)
                {
                    return Fail(Console.Error, ex.Message, StartFailedExitCode);
                }

                var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger(ProgramName);
                Log.Started(logger, app.GetListenAddress(), app.Services.GetRequiredService<BlockStore>().DataDirectory);
                await app.WaitForShutdownAsync().ConfigureAwait(false);
            }

            return 0;
        }
    }

    /// <summary>
    /// Parses the command line. False means: do not start; exit with <paramref name="exitCode"/>
    /// (0 after --help or --version, <see cref="UsageExitCode"/> after a one-line error on <paramref name="error"/>).
    /// </summary>
    internal static bool TryParse(
        IReadOnlyList<string> args,
        TextWriter output,
        TextWriter error,
        [NotNullWhen(true)] out FileServerOptions? options,
        out int exitCode)
    {
        var port = new Option<int>("--port")
        {
            Description = "TCP port to listen on (0 picks a free one); without it the endpoints come from configuration (ASPNETCORE_URLS)",
        };
        var dataDir = new Option<string>("--data-dir")
        {
            Description = $"Directory for the stripe objects, created if missing; without it, configuration key {FileServerApp.DataDirectoryKey}",
        };
        var bind = new Option<string>("--bind") { Description = "IP address to listen on with --port (default: all interfaces)" };
        var delay = new Option<int>("--delay-ms") { Description = "Delay added to every call, for benchmarks (default 0)" };
        var keyFile = new Option<string>("--cluster-key-file")
        {
            Description = "File with the base64 cluster key shared with the metadata server (default: Pfs:ClusterKey, else ~/.pfs/cluster.key)",
        };
        var maxStages = new Option<int>("--max-stages")
        {
            Description = $"Most writers with staged bytes at once; beyond it a new writer is told to retry (default {FileServerLimits.DefaultMaxStages}, or {FileServerLimits.MaxStagesKey})",
        };
        var writeBudget = new Option<int>("--write-budget-mib")
        {
            Description = $"MiB of write payloads taken in at once; beyond it calls wait (default {FileServerLimits.DefaultWriteBudgetBytes >> 20}, or {FileServerLimits.WriteBudgetBytesKey} in bytes)",
        };
        var root = new RootCommand("Pfs file server: stores stripe objects on local disk and serves them over gRPC.")
        {
            port, dataDir, bind, delay, keyFile, maxStages, writeBudget,
        };

        var parsed = root.Parse(args);
        if (parsed.Action is not null and not ParseErrorAction)
        {
            // --help or --version: print and stop.
            options = null;
            exitCode = parsed.Invoke(new InvocationConfiguration { Output = output, Error = error });
            return false;
        }

        // Range checks come after parsing: System.CommandLine runs option validators even when a value
        // failed to convert, and reading that value then throws.
        var problem = parsed.Errors.Count > 0
            ? string.Join("; ", parsed.Errors.Select(e => e.Message))
            : parsed.GetValue(port) is < 0 or > 65535 ? "--port must be from 0 to 65535"
            : parsed.GetResult(dataDir) is not null && string.IsNullOrWhiteSpace(parsed.GetValue(dataDir)) ? "--data-dir must not be empty"
            : parsed.GetValue(bind) is { } address && !IPAddress.TryParse(address, out _) ? $"--bind must be an IP address, not '{address}'"
            : parsed.GetValue(delay) < 0 ? "--delay-ms must not be negative"
            : parsed.GetResult(maxStages) is not null && parsed.GetValue(maxStages) < 1 ? "--max-stages must be at least 1"
            : parsed.GetResult(writeBudget) is not null && (long)parsed.GetValue(writeBudget) << 20 < Protocol.PfsLimits.MaxMessageBytes
                ? $"--write-budget-mib must be at least {(Protocol.PfsLimits.MaxMessageBytes >> 20) + 1} (one largest message)"
            : null;
        if (problem is not null)
        {
            options = null;
            exitCode = Fail(error, problem, UsageExitCode);
            return false;
        }

        options = new FileServerOptions
        {
            Port = parsed.GetResult(port) is null ? null : parsed.GetValue(port),
            DataDirectory = parsed.GetValue(dataDir) ?? string.Empty,
            BindAddress = parsed.GetValue(bind),
            DelayMs = parsed.GetValue(delay),
            ClusterKeyFile = parsed.GetValue(keyFile),
            MaxStages = parsed.GetResult(maxStages) is null ? null : parsed.GetValue(maxStages),
            WriteBudgetBytes = parsed.GetResult(writeBudget) is null ? null : (long)parsed.GetValue(writeBudget) << 20,
        };
        exitCode = 0;
        return true;
    }

    private static int Fail(TextWriter error, string message, int exitCode)
    {
        error.WriteLine($"{ProgramName}: {message.ReplaceLineEndings(" ")}");
        return exitCode;
    }

    private static partial class Log
    {
        [LoggerMessage(1, LogLevel.Information, "File server listening on {Address}, data directory {DataDirectory}")]
        public static partial void Started(ILogger logger, Uri address, string dataDirectory);
    }
}
