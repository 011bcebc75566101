using System.Globalization;
using Pfs.ServiceDefaults.Settings;

namespace Pfs.FileServer;

/// <summary>
/// How one file server listens and where it keeps its stripe objects, bound from configuration
/// (see <see cref="FileServerSettings"/> for the keys and flags and the checks).
/// </summary>
public sealed record FileServerOptions : IPfsServerOptions
{
    /// <inheritdoc/>
    public int? Port { get; init; }

    /// <inheritdoc/>
    public string? BindAddress { get; init; }

    /// <summary>
    /// Root of the block store (<c>FileServer:DataDirectory</c>, <c>--data-dir</c>; Aspire hands each
    /// file server its own). Empty in explicit options leaves it to configuration.
    /// </summary>
    public required string DataDirectory { get; init; }

    /// <summary>Delay added to every call, so a benchmark can show what fanning out to many servers hides (<c>FileServer:DelayMs</c>, <c>--delay-ms</c>).</summary>
    public int DelayMs { get; init; }

    /// <summary>Flush every write to stable storage, not only those whose request asks for it (<c>FileServer:SyncWrites</c>).</summary>
    public bool SyncWrites { get; init; }

    /// <summary>
    /// MiB written to a staged file between two submissions of its dirty pages to the disk, so a writer's
    /// closing flush finds little left to write; 0 leaves them to the kernel until that flush
    /// (<c>FileServer:WritebackMiB</c>; see <see cref="Storage.EagerWriteback"/>).
    /// </summary>
    public int WritebackMiB { get; init; } = (int)(Storage.EagerWriteback.DefaultEveryBytes >> 20);

    /// <inheritdoc/>
    public string? ClusterKey { get; init; }

    /// <inheritdoc/>
    public string? ClusterKeyFile { get; init; }

    /// <summary>
    /// Most stages (writers with staged bytes) kept at once; at the bound a new writer's first write
    /// gets Unavailable (<c>FileServer:MaxStages</c>, <c>--max-stages</c>).
    /// </summary>
    public int MaxStages { get; init; } = FileServerLimits.DefaultMaxStages;

    /// <summary>
    /// MiB of WriteBytes payloads taken in at once; beyond it calls wait, then get Unavailable (retried by clients)
    /// (<c>FileServer:WriteBudgetMiB</c>, <c>--write-budget-mib</c>).
    /// </summary>
    public int WriteBudgetMiB { get; init; } = FileServerLimits.DefaultWriteBudgetMiB;

    /// <summary>How long a WriteBytes call waits for room in the write budget (<c>FileServer:WriteBudgetWait</c>).</summary>
    public TimeSpan WriteBudgetWait { get; init; } = FileServerLimits.DefaultWriteBudgetWait;

    /// <summary>
    /// TEST ONLY: a named point at which the server kills itself with SIGKILL the first time it reaches it
    /// (<c>FileServer:TestCrashPoint</c>, read once at start; see <see cref="Storage.Staging.StagedObjects.DropMarked"/>).
    /// Unset outside tests.
    /// </summary>
    public string? TestCrashPoint { get; init; }

    /// <summary>These options as configuration keys, so explicit options take the path flags and Aspire take.</summary>
    internal IEnumerable<KeyValuePair<string, string?>> ToConfiguration()
    {
        foreach (var setting in PfsServerSettings.ToConfiguration(this))
        {
            yield return setting;
        }

        if (!string.IsNullOrEmpty(DataDirectory))
        {
            yield return new(FileServerSettings.DataDirectory.Key, DataDirectory);
        }

        yield return new(FileServerSettings.DelayMs.Key, DelayMs.ToString(CultureInfo.InvariantCulture));
        yield return new($"{FileServerSettings.Section}:{nameof(SyncWrites)}", SyncWrites ? "true" : "false");
        yield return new($"{FileServerSettings.Section}:{nameof(WritebackMiB)}", WritebackMiB.ToString(CultureInfo.InvariantCulture));
        yield return new(FileServerSettings.MaxStages.Key, MaxStages.ToString(CultureInfo.InvariantCulture));
        yield return new(FileServerSettings.WriteBudgetMiB.Key, WriteBudgetMiB.ToString(CultureInfo.InvariantCulture));
        yield return new($"{FileServerSettings.Section}:{nameof(WriteBudgetWait)}", WriteBudgetWait.ToString("c", CultureInfo.InvariantCulture));
        if (TestCrashPoint is not null)
        {
            yield return new($"{FileServerSettings.Section}:{nameof(TestCrashPoint)}", TestCrashPoint);
        }
    }
}
