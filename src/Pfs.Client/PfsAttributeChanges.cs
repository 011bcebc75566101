namespace Pfs.Client;

/// <summary>
/// What <see cref="PfsClient.SetAttributesAsync(string, PfsAttributeChanges, CancellationToken)"/> changes
/// (chmod, chown and utimes): the properties that are set; the others stay. Any change moves ctime to now.
/// </summary>
public sealed record PfsAttributeChanges
{
    /// <summary>New permission bits (07777).</summary>
    public uint? Mode { get; init; }

    /// <summary>New owner user id.</summary>
    public uint? Uid { get; init; }

    /// <summary>New owner group id.</summary>
    public uint? Gid { get; init; }

    /// <summary>New atime (kept to the millisecond).</summary>
    public DateTimeOffset? Accessed { get; init; }

    /// <summary>New mtime (kept to the millisecond).</summary>
    public DateTimeOffset? Modified { get; init; }

    /// <summary>Sets atime to the metadata server's now (utimensat's UTIME_NOW); wins over <see cref="Accessed"/>.</summary>
    public bool AccessedNow { get; init; }

    /// <summary>Sets mtime to the metadata server's now; wins over <see cref="Modified"/>.</summary>
    public bool ModifiedNow { get; init; }
}
