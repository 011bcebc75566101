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

    /// <inheritdoc/>
    public string? ClusterKey { get; init; }

    /// <inheritdoc/>
    public string? ClusterKeyFile { get; init; }

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
    }
}
