namespace Pfs.FileServer;

/// <summary>
/// The bounds that keep a file server's memory and file handles in check whatever its callers send
/// (docs/RELIABILITY.md, "Limits"), as the storage and the write admission use them. They are
/// settings of <see cref="FileServerOptions"/>, checked by <see cref="FileServerOptionsValidator"/>.
/// </summary>
public sealed record FileServerLimits
{
    /// <summary>Default of <see cref="MaxStages"/>.</summary>
    public const int DefaultMaxStages = Storage.Staging.StagedObjects.DefaultMaxStages;

    /// <summary>Default write budget: 512 MiB.</summary>
    public const int DefaultWriteBudgetMiB = 512;

    /// <summary>The smallest write budget: one largest message must fit, or a client's legitimate block is refused.</summary>
    public const int MinWriteBudgetMiB = (Protocol.PfsLimits.MaxMessageBytes >> 20) + 1;

    /// <summary>Default of <see cref="WriteBudgetWait"/>.</summary>
    public static readonly TimeSpan DefaultWriteBudgetWait = TimeSpan.FromSeconds(10);

    /// <summary>Most stages (writers with staged bytes) kept at once; at the bound a new writer's first write gets Unavailable.</summary>
    public int MaxStages { get; init; } = DefaultMaxStages;

    /// <summary>Most bytes of WriteBytes messages taken in at once; beyond it calls wait, then get Unavailable (retried by clients).</summary>
    public long WriteBudgetBytes { get; init; } = (long)DefaultWriteBudgetMiB << 20;

    /// <summary>How long a WriteBytes call waits for room in the budget before it is refused.</summary>
    public TimeSpan WriteBudgetWait { get; init; } = DefaultWriteBudgetWait;

    /// <summary>The limits a server with <paramref name="options"/> (already validated) keeps.</summary>
    public static FileServerLimits From(FileServerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new FileServerLimits
        {
            MaxStages = options.MaxStages,
            WriteBudgetBytes = (long)options.WriteBudgetMiB << 20,
            WriteBudgetWait = options.WriteBudgetWait,
        };
    }
}
