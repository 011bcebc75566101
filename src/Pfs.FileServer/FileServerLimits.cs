using Microsoft.Extensions.Configuration;

namespace Pfs.FileServer;

/// <summary>
/// The bounds that keep a file server's memory and file handles in check whatever its callers send
/// (docs/RELIABILITY.md, "Limits"). Each comes from <see cref="FileServerOptions"/>, else from
/// configuration, else its default, and is checked here.
/// </summary>
public sealed record FileServerLimits
{
    /// <summary>Configuration key of <see cref="MaxStages"/>.</summary>
    public const string MaxStagesKey = "FileServer:MaxStages";

    /// <summary>Configuration key of <see cref="WriteBudgetBytes"/>.</summary>
    public const string WriteBudgetBytesKey = "FileServer:WriteBudgetBytes";

    /// <summary>Default of <see cref="MaxStages"/>.</summary>
    public const int DefaultMaxStages = Storage.Staging.StagedObjects.DefaultMaxStages;

    /// <summary>Default of <see cref="WriteBudgetBytes"/>: 512 MiB.</summary>
    public const long DefaultWriteBudgetBytes = 512L * 1024 * 1024;

    /// <summary>Default of <see cref="WriteBudgetWait"/>.</summary>
    public static readonly TimeSpan DefaultWriteBudgetWait = TimeSpan.FromSeconds(10);

    /// <summary>Most stages (writers with staged bytes) kept at once; at the bound a new writer's first write gets Unavailable.</summary>
    public int MaxStages { get; init; } = DefaultMaxStages;

    /// <summary>Most bytes of WriteBytes messages taken in at once; beyond it calls wait, then get ResourceExhausted.</summary>
    public long WriteBudgetBytes { get; init; } = DefaultWriteBudgetBytes;

    /// <summary>How long a WriteBytes call waits for room in the budget before it is refused.</summary>
    public TimeSpan WriteBudgetWait { get; init; } = DefaultWriteBudgetWait;

    /// <summary>The limits <paramref name="options"/> set, with configuration and then the defaults for the rest.</summary>
    /// <exception cref="ArgumentException">A limit out of range.</exception>
    public static FileServerLimits Resolve(FileServerOptions options, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(configuration);
        var limits = new FileServerLimits
        {
            MaxStages = options.MaxStages ?? Read(configuration, MaxStagesKey, DefaultMaxStages),
            WriteBudgetBytes = options.WriteBudgetBytes ?? Read(configuration, WriteBudgetBytesKey, DefaultWriteBudgetBytes),
            WriteBudgetWait = options.WriteBudgetWait ?? DefaultWriteBudgetWait,
        };

        if (limits.MaxStages < 1)
        {
            throw new ArgumentException($"the most stages a file server keeps must be at least 1, not {limits.MaxStages}");
        }

        // One largest message must fit; less would refuse a client's legitimate block.
        if (limits.WriteBudgetBytes < Protocol.PfsLimits.MaxMessageBytes)
        {
            throw new ArgumentException($"the write budget must be at least one largest message ({Protocol.PfsLimits.MaxMessageBytes} bytes), not {limits.WriteBudgetBytes}");
        }

        if (limits.WriteBudgetWait < TimeSpan.Zero)
        {
            throw new ArgumentException("the wait for the write budget must not be negative");
        }

        return limits;
    }

    private static T Read<T>(IConfiguration configuration, string key, T fallback)
    {
        try
        {
            return configuration.GetValue(key, fallback)!;
        }
        catch (InvalidOperationException ex)
        {
            throw new ArgumentException($"{key} is not a valid number: {configuration[key]}", ex);
        }
    }
}
