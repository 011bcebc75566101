namespace Pfs.Erasure;

/// <summary>
/// Fewer than K of the K + M shards of a stripe are present, so its data cannot be rebuilt.
/// </summary>
public sealed class NotEnoughShardsException : ArgumentException
{
    public NotEnoughShardsException(int required, int present, string? paramName = null)
        : base($"Reconstruction needs at least {required} present shards, but only {present} are present.", paramName)
    {
        Required = required;
        Present = present;
    }

    /// <summary>K: the number of shards any reconstruction needs.</summary>
    public int Required { get; }

    /// <summary>The number of shards that were present.</summary>
    public int Present { get; }
}
