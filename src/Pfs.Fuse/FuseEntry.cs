namespace Pfs.Fuse;

/// <summary>
/// The answer to a name lookup (LOOKUP, MKDIR, MKNOD, SYMLINK, LINK, CREATE, READDIRPLUS).
/// Every entry with a non-zero <see cref="NodeId"/> that reaches the kernel adds one to the
/// node's lookup count, which the kernel later returns through <see cref="FuseFileSystem.Forget"/>.
/// </summary>
/// <param name="NodeId">The node id the kernel will use for this inode; 0 for a negative entry.</param>
/// <param name="Attr">The attributes of the inode.</param>
/// <param name="EntryTimeout">How long the kernel may cache the name.</param>
/// <param name="AttrTimeout">How long the kernel may cache the attributes.</param>
public readonly record struct FuseEntry(ulong NodeId, FuseAttr Attr, TimeSpan EntryTimeout, TimeSpan AttrTimeout)
{
    /// <summary>The inode generation: node id and generation must be unique for the life of the file system.</summary>
    public ulong Generation { get; init; }

    /// <summary>
    /// A negative entry: the name does not exist and the kernel may remember that for
    /// <paramref name="timeout"/> (an answer of ENOENT is remembered for no time at all).
    /// </summary>
    public static FuseEntry Negative(TimeSpan timeout) => new(0, default, timeout, TimeSpan.Zero);
}

/// <summary>The answer to GETATTR and SETATTR.</summary>
/// <param name="Attr">The attributes.</param>
/// <param name="Timeout">How long the kernel may cache them.</param>
public readonly record struct FuseAttrReply(FuseAttr Attr, TimeSpan Timeout);
