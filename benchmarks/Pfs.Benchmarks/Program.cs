using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;
using Pfs.Benchmarks.Macro;

namespace Pfs.Benchmarks;

/// <summary>
/// <c>dotnet run -c Release --project benchmarks/Pfs.Benchmarks -- [--quick | --smoke] [--repeat N] [--link-mbit R]</c>, or <c>-- --micro [BenchmarkDotNet args]</c>.
/// </summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args.Contains("--micro"))
        {
            var rest = args.Where(a => a != "--micro").ToArray();
            BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly)
                .Run(rest.Length == 0 ? ["--filter", "*"] : rest, DefaultConfig.Instance);
            return 0;
        }

        using var cancel = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            // Let the finally blocks stop the servers.
            e.Cancel = true;
            cancel.Cancel();
        };
        // SIGTERM (kill, a CI timeout) likewise: cancel, and let the finally blocks stop the servers
        // and take the shaping off lo, instead of the runtime exiting at once.
        using var terminate = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            cancel.Cancel();
        });
        try
        {
            return await RunMacroAsync(args, Console.Out, cancel.Token);
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync("Pfs.Benchmarks: cancelled; servers stopped");
            return 130;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The servers are stopped by then (every cluster is disposed on the way out).
            await Console.Error.WriteLineAsync($"Pfs.Benchmarks: failed: {ex}");
            return 1;
        }
    }

    /// <summary>Runs the macro benchmark with <c>--quick</c>, <c>--smoke</c> or neither; prints progress and the table.</summary>
    public static async Task<int> RunMacroAsync(string[] args, TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(output);
        var settings = BenchSettings.Full;
        int? repeats = null;
        int? ioMiB = null;
        int? delayMs = null;
        int? linkMbit = null;
        int? linkMiB = null;
        int? namespaceEntries = null;
        int? redundancyMiB = null;
        var native = (bool?)null;
        var only = new HashSet<string>();
        var fileServerEnvironment = new Dictionary<string, string>();
        var security = false;
        for (var i = 0; i < args.Length; i++)
        {
            if (args[i] == "--security")
            {
                security = true;
            }
            else if (args[i] == "--quick")
            {
                settings = BenchSettings.Quick;
            }
            else if (args[i] == "--smoke")
            {
                settings = BenchSettings.Smoke;
            }
            else if (args[i] == "--repeat" && i + 1 < args.Length && int.TryParse(args[i + 1], out var count) && count > 0)
            {
                repeats = count;
                i++;
            }
            else if (args[i] == "--io-mib" && i + 1 < args.Length && int.TryParse(args[i + 1], out var mib) && mib is > 0 and <= 1024)
            {
                ioMiB = mib;
                i++;
            }
            else if (args[i] == "--delay-ms" && i + 1 < args.Length && int.TryParse(args[i + 1], out var delay) && delay is > 0 and <= 1000)
            {
                delayMs = delay;
                i++;
            }
            else if (args[i] == "--link-mbit" && i + 1 < args.Length && int.TryParse(args[i + 1], out var mbit) && mbit is > 0 and <= 100_000)
            {
                linkMbit = mbit;
                i++;
            }
            else if (args[i] == "--link-mib" && i + 1 < args.Length && int.TryParse(args[i + 1], out var perServer) && perServer is > 0 and <= 4096)
            {
                linkMiB = perServer;
                i++;
            }
            else if (args[i] == "--ns-entries" && i + 1 < args.Length && int.TryParse(args[i + 1], out var entries) && entries is >= 1_000 and <= 10_000_000)
            {
                namespaceEntries = entries;
                i++;
            }
            else if (args[i] == "--redundancy-mib" && i + 1 < args.Length && int.TryParse(args[i + 1], out var redundancy) && redundancy is >= 4 and <= 16_384)
            {
                redundancyMiB = redundancy;
                i++;
            }
            else if (args[i] == "--jit")
            {
                native = false;
            }
            else if (args[i] == "--fs-env" && i + 1 < args.Length && args[i + 1].IndexOf('=', StringComparison.Ordinal) > 0)
            {
                var pair = args[++i];
                fileServerEnvironment[pair[..pair.IndexOf('=', StringComparison.Ordinal)]] = pair[(pair.IndexOf('=', StringComparison.Ordinal) + 1)..];
            }
            else if (args[i] == "--only" && i + 1 < args.Length && args[i + 1] is "throughput" or "metadata" or "fanout" or "namespace" or "scaling" or "random" or "mount" or "checksums" or "redundancy" or "tree" or "smallfiles")
            {
                only.Add(args[++i]);
            }
            else
            {
                await output.WriteLineAsync($"Pfs.Benchmarks: unknown argument '{args[i]}'; use [--quick | --smoke] [--repeat N] [--io-mib N] [--delay-ms N] [--link-mbit R [--link-mib N]] [--ns-entries N] [--redundancy-mib N] [--jit] [--fs-env K=V] [--only throughput|metadata|fanout|namespace|scaling|random|mount|checksums|redundancy|tree|smallfiles] [--security], or --micro [BenchmarkDotNet args]");
                return 2;
            }
        }

        settings = settings with
        {
            Repeats = repeats ?? settings.Repeats,
            IoBytes = ioMiB is { } io ? io * 1024 * 1024 : settings.IoBytes,
            DelayMs = delayMs ?? settings.DelayMs,
            LinkMbit = linkMbit,
            FileServers = linkMbit is null ? settings.FileServers : 8,
            ScalingBytesPerServer = linkMiB is { } perServerMiB ? perServerMiB * 1024L * 1024 : settings.ScalingBytesPerServer,
            Native = native ?? settings.Native,
            Only = only,
            NamespaceEntries = namespaceEntries ?? settings.NamespaceEntries,
            RedundancyBytes = redundancyMiB is { } redundancyFile ? redundancyFile * 1024L * 1024 : settings.RedundancyBytes,
            FileServerEnvironment = fileServerEnvironment,
        };
        return security
            ? await SecurityBenchmark.RunAsync(settings, output, cancellationToken)
            : await new MacroRunner(settings, output).RunAsync(cancellationToken);
    }
}
