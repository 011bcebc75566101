namespace Pfs.Fuse;

public abstract partial class FuseFileSystem
{
    /// <summary>OPENDIR: open a directory for listing. When not implemented the kernel lists without a handle (handle 0).</summary>
    public virtual ValueTask<FuseOpenResult> OpenDirAsync(FuseContext context, ulong nodeId, int flags) => NotImplemented<FuseOpenResult>();

    /// <summary>
    /// READDIR: add entries after the offset cookie <paramref name="offset"/> (0 is the start) to
    /// <paramref name="writer"/> until it refuses one; each entry carries the cookie of the entry after it.
    /// </summary>
    public virtual ValueTask ReadDirAsync(FuseContext context, ulong nodeId, ulong handle, long offset, FuseDirectoryWriter writer) => NotImplemented();

    /// <summary>
    /// READDIRPLUS (when <see cref="FuseMountOptions.ReadDirPlus"/>): like <see cref="ReadDirAsync"/> with
    /// each entry's attributes. Every accepted entry other than "." and ".." adds one to the node's lookup count.
    /// </summary>
    public virtual ValueTask ReadDirPlusAsync(FuseContext context, ulong nodeId, ulong handle, long offset, FuseDirectoryPlusWriter writer) => NotImplemented();

    /// <summary>RELEASEDIR: the directory handle is closed.</summary>
    public virtual ValueTask ReleaseDirAsync(FuseContext context, ulong nodeId, ulong handle) => NotImplemented();

    /// <summary>FSYNCDIR: make the directory durable.</summary>
    public virtual ValueTask FsyncDirAsync(FuseContext context, ulong nodeId, ulong handle, bool dataOnly) => NotImplemented();
}
