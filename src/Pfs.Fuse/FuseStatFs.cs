namespace Pfs.Fuse;

/// <summary>The answer to STATFS (statfs(2), df).</summary>
public readonly record struct FuseStatFs
{
    /// <summary>Total blocks of <see cref="FragmentSize"/> bytes.</summary>
    public ulong Blocks { get; init; }
    /// <summary>Free blocks.</summary>
    public ulong BlocksFree { get; init; }
    /// <summary>Free blocks available to unprivileged users.</summary>
    public ulong BlocksAvailable { get; init; }
    /// <summary>Total inodes.</summary>
    public ulong Files { get; init; }
    /// <summary>Free inodes.</summary>
    public ulong FilesFree { get; init; }
    /// <summary>The preferred I/O block size.</summary>
    public uint BlockSize { get; init; }
    /// <summary>The longest file name.</summary>
    public uint NameLength { get; init; }
    /// <summary>The unit of <see cref="Blocks"/>; 0 means <see cref="BlockSize"/>.</summary>
    public uint FragmentSize { get; init; }
}
