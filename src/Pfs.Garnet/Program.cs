using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using Garnet;

namespace Pfs.Garnet;

/// <summary>
/// Runs Microsoft Garnet (a Redis-protocol server) with the durability Pfs metadata needs: every
/// acknowledged write is in the append-only file, and a restart replays it. It comes from NuGet as
/// a library, so `dotnet build` is all a fresh machine needs (no container runtime, no apt).
/// </summary>
internal static class Program
{
    /// <summary>Exit code for a bad command line.</summary>
    internal const int UsageExitCode = 2;

    /// <summary>Exit code when Garnet could not start (port taken, data directory not writable).</summary>
    internal const int StartFailedExitCode = 1;

    private const string ProgramName = "Pfs.Garnet";

    private const string DefaultMemory = "4g";

    public static async Task<int> Main(string[] args)
    {
        if (!TryParse(args, out var garnetArgs, out var parent, out var exitCode))
        {
            return exitCode;
        }

        using var stopping = new CancellationTokenSource();
        if (parent is { } parentId)
        {
            _ = StopWhenGoneAsync(parentId, stopping);
        }

        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);

        GarnetServer server;
        try
        {
            server = new GarnetServer(garnetArgs);
            server.Start();
        }
        catch (Exception ex)
        {
            await Console.Error.WriteLineAsync($"{ProgramName}: {ex.Message.ReplaceLineEndings(" ")}");
            return StartFailedExitCode;
        }

        using (server)
        {
            await Console.Out.WriteLineAsync($"{ProgramName}: ready ({string.Join(' ', garnetArgs)})");
            try
            {
                await Task.Delay(Timeout.Infinite, stopping.Token);
            }
            catch (OperationCanceledException)
            {
                // SIGTERM or SIGINT: every acknowledged write is in the AOF already; commit the tail anyway.
            }

            await server.Store.CommitAOFAsync(CancellationToken.None);
        }

        return 0;

        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            stopping.Cancel();
        }
    }

    // A test host that is killed cannot stop its children; this one then stops itself.
    private static async Task StopWhenGoneAsync(int parentId, CancellationTokenSource stopping)
    {
        while (IsAlive(parentId))
        {
            await Task.Delay(TimeSpan.FromSeconds(1));
        }

        try
        {
            await stopping.CancelAsync();
        }
        catch (ObjectDisposedException)
        {
            // Stopped already.
        }
    }

    private static bool IsAlive(int processId)
    {
        try
        {
            using var process = Process.GetProcessById(processId);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>
    /// <c>--port P --data-dir D [--bind ADDR] [--memory SIZE] [--exit-with PID]</c>, plus Garnet's own flags after <c>--</c>.
    /// </summary>
    internal static bool TryParse(string[] args, out string[] garnetArgs, out int? parent, out int exitCode)
    {
        parent = null;
        var port = new Option<int>("--port") { Description = "TCP port to listen on", Required = true };
        var dataDir = new Option<string>("--data-dir")
        {
            Description = "Directory for the append-only file and checkpoints; created if missing",
            Required = true,
        };
        var bind = new Option<string>("--bind") { Description = "IP address to listen on (default 127.0.0.1)" };
        var memory = new Option<string>("--memory") { Description = $"Log memory, e.g. 512m (default {DefaultMemory}; taken as records come, not at start)" };
        var exitWith = new Option<int?>("--exit-with") { Description = "Process id to outlive by no more than a second (a test run that owns this server)" };
        var extra = new Argument<string[]>("garnet-args") { Description = "Further Garnet flags, after --", Arity = ArgumentArity.ZeroOrMore };
        var root = new RootCommand("Pfs.Garnet: a durable Redis-protocol server (Microsoft Garnet) for Pfs metadata.")
        {
            port, dataDir, bind, memory, exitWith, extra,
        };

        var parsed = root.Parse(args);
        if (parsed.Action is not null && parsed.Errors.Count == 0)
        {
            garnetArgs = [];
            exitCode = parsed.Invoke();
            return false;
        }

        var problem = parsed.Errors.Count > 0 ? parsed.Errors[0].Message
            : parsed.GetValue(port) is < 1 or > 65535 ? "--port must be from 1 to 65535"
            : string.IsNullOrWhiteSpace(parsed.GetValue(dataDir)) ? "--data-dir must not be empty"
            : parsed.GetValue(bind) is { } address && !IPAddress.TryParse(address, out _) ? $"--bind must be an IP address, not '{address}'"
            : null;
        if (problem is not null)
        {
            Console.Error.WriteLine($"{ProgramName}: {problem}");
            garnetArgs = [];
            exitCode = UsageExitCode;
            return false;
        }

        parent = parsed.GetValue(exitWith);
        var directory = Path.GetFullPath(parsed.GetValue(dataDir)!);
        Directory.CreateDirectory(directory);
        garnetArgs =
        [
            "--port", parsed.GetValue(port).ToString(CultureInfo.InvariantCulture),
            "--bind", parsed.GetValue(bind) ?? "127.0.0.1",
            "--checkpointdir", directory,
            // Write-ahead log on, and each write acknowledged only once it is in the log: a
            // metadata mutation that Pfs reported done survives a crash of this process.
            "--aof",
            "--aof-commit-wait",
            "--recover",
            // The default device needs liburing or libaio, which a fresh machine lacks.
            "--device-type", "RandomAccess",
            // Records beyond --memory go to disk under the data directory. Without the storage tier
            // Garnet is a cache: it drops the oldest records once its log memory is full (at about
            // 130,000 Pfs files with 256m), which for a metadata store is losing the namespace.
            "--storage-tier",
            "--logdir", Path.Combine(directory, "log"),
            // Room for the namespace to stay in memory, as in Redis (about 2 KiB of log per file, so
            // some 2,000,000 files): a directory is one hash, and once the log outgrows this, a big
            // one is written out to the storage tier and read back whole on its next change. At 256m, creates in a directory of 1,000,000 entries ran at half
            // the rate of an empty one (docs/PERFORMANCE.md, "The namespace"). Pages are taken as
            // the log grows, so a small namespace costs little. Garnet's own default (16 GiB) is
            // sized for a dedicated cache host.
            "--memory", parsed.GetValue(memory) ?? DefaultMemory,
            "--index", "16m",
            "--page", "1m",
            "--aof-page-size", "4m",
            "--aof-memory", "16m",
            .. parsed.GetValue(extra) ?? [],
        ];
        exitCode = 0;
        return true;
    }
}
