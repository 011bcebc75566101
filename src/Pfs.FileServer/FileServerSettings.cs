using Microsoft.Extensions.Options;
using Pfs.ServiceDefaults.Connections;
using Pfs.ServiceDefaults.Security;
using Pfs.ServiceDefaults.Settings;

namespace Pfs.FileServer;

/// <summary>
/// The file server's settings: each flag with the configuration key it sets (Aspire sets
/// <c>FileServer:DataDirectory</c>), and their checks below.
/// </summary>
public static class FileServerSettings
{
    /// <summary>The configuration section of the file server's own settings.</summary>
    public const string Section = "FileServer";

    public static readonly ServerFlag DataDirectory = new("--data-dir", "FileServer:DataDirectory",
        "Directory for the stripe objects, created if missing");

    public static readonly ServerFlag DelayMs = new("--delay-ms", "FileServer:DelayMs",
        "Delay added to every call, for benchmarks (default 0)", FlagKind.Integer);

    public static readonly ServerFlag MaxStages = new("--max-stages", "FileServer:MaxStages",
        $"Most writers with staged bytes at once; beyond it a new writer is told to retry (default {FileServerLimits.DefaultMaxStages})", FlagKind.Integer);

    public static readonly ServerFlag WriteBudgetMiB = new("--write-budget-mib", "FileServer:WriteBudgetMiB",
        $"MiB of write payloads taken in at once; beyond it calls wait, then are refused (default {FileServerLimits.DefaultWriteBudgetMiB})", FlagKind.Integer);

    public static ServerCommandLine CommandLine { get; } = new(
        "Pfs.FileServer",
        "Pfs file server: stores stripe objects on local disk and serves them over gRPC.",
        [PfsServerSettings.Port, DataDirectory, PfsServerSettings.BindAddress, DelayMs, PfsServerSettings.ClusterKeyFile, MaxStages, WriteBudgetMiB, PfsConnectionLimits.MaxConnectionsFlag, Services.ScrubOptions.ScrubMbpsFlag, .. PfsSecurityOptions.Flags]);
}

/// <summary>Checks <see cref="FileServerOptions"/> once, whichever source each setting came from.</summary>
internal sealed class FileServerOptionsValidator : IValidateOptions<FileServerOptions>
{
    // A submission per GiB is as good as none on any disk this serves.
    private const int MaxWritebackMiB = 1024;

    public ValidateOptionsResult Validate(string? name, FileServerOptions options)
    {
        var failures = new List<string>();
        PfsServerSettings.Check(options, failures);
        if (string.IsNullOrWhiteSpace(options.DataDirectory))
        {
            failures.Add($"no data directory: pass {FileServerSettings.DataDirectory.Name} or set {FileServerSettings.DataDirectory.Key}");
        }

        if (options.DelayMs < 0)
        {
            failures.Add($"{FileServerSettings.DelayMs} must not be negative");
        }

        if (options.MaxStages < 1)
        {
            failures.Add($"{FileServerSettings.MaxStages} must be at least 1, not {options.MaxStages}");
        }

        if (options.WriteBudgetMiB < FileServerLimits.MinWriteBudgetMiB)
        {
            failures.Add($"{FileServerSettings.WriteBudgetMiB} must be at least {FileServerLimits.MinWriteBudgetMiB} (one largest message), not {options.WriteBudgetMiB}");
        }

        if (options.WritebackMiB is < 0 or > MaxWritebackMiB)
        {
            failures.Add($"FileServer:WritebackMiB must be from 0 (off) to {MaxWritebackMiB}, not {options.WritebackMiB}");
        }

        if (options.WriteBudgetWait < TimeSpan.Zero)
        {
            failures.Add("FileServer:WriteBudgetWait must not be negative");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
