namespace Pfs.Fuse;

/// <summary>
/// A file system served through FUSE. Override the operations you support; every other one is
/// answered with ENOSYS without calling you (and the kernel stops asking for most of them).
/// </summary>
/// <remarks>
/// <para>Handlers run concurrently: several reader threads start them, each at once on the thread
/// that read the request, so a handler should reach its first <c>await</c> quickly and must be
/// thread-safe. Results go back as the returned value; errors as a <see cref="FuseException"/> with
/// an errno. Any other exception is answered with EIO and logged. A handler that observes
/// <see cref="FuseContext.CancellationToken"/> (FUSE_INTERRUPT) and throws
/// <see cref="OperationCanceledException"/> is answered with EINTR.</para>
/// <para>Node ids are the file system's own: the root is <see cref="RootId"/>; every entry it hands
/// out (lookup, create, mkdir, mknod, symlink, link, readdirplus) adds one to that node's lookup
/// count, and <see cref="Forget"/> takes counts away. A node id must stay valid until its count
/// reaches zero, even after the name is gone (unlink of an open file).</para>
/// <para>Buffers passed to <see cref="ReadAsync"/>, <see cref="WriteAsync"/> and the directory
/// writers belong to the binding and are valid only until the returned task completes.</para>
/// </remarks>
// The session asks which methods a file system overrides (reflection on its public methods), so a
// trimmed (Native AOT) tool must keep them: the annotation holds for every derived type.
[System.Diagnostics.CodeAnalysis.DynamicallyAccessedMembers(System.Diagnostics.CodeAnalysis.DynamicallyAccessedMemberTypes.PublicMethods)]
public abstract partial class FuseFileSystem
{
    /// <summary>The node id of the root directory (FUSE_ROOT_ID).</summary>
    public const ulong RootId = 1;

    /// <summary>Called once INIT is settled, before the kernel sends any other request.</summary>
    public virtual void Init(FuseKernelInfo kernel)
    {
    }

    /// <summary>Called once when the session ends (unmount, or the kernel closed the connection), after the last handler finished.</summary>
    public virtual void Destroy()
    {
    }

    /// <summary>LOOKUP: find <paramref name="name"/> in the directory <paramref name="parent"/>. Throw ENOENT, or return <see cref="FuseEntry.Negative"/> to let the kernel cache the absence.</summary>
    public virtual ValueTask<FuseEntry> LookupAsync(FuseContext context, ulong parent, string name) => NotImplemented<FuseEntry>();

    /// <summary>FORGET and BATCH_FORGET: the kernel drops <paramref name="count"/> lookups of <paramref name="nodeId"/>. No answer is sent.</summary>
    public virtual void Forget(ulong nodeId, ulong count)
    {
    }

    /// <summary>GETATTR: the attributes of a node; <paramref name="handle"/> is set when the kernel asked through an open file (fstat).</summary>
    public virtual ValueTask<FuseAttrReply> GetAttrAsync(FuseContext context, ulong nodeId, ulong? handle) => NotImplemented<FuseAttrReply>();

    /// <summary>SETATTR: chmod, chown, truncate and utimes; answer with the attributes after the change.</summary>
    public virtual ValueTask<FuseAttrReply> SetAttrAsync(FuseContext context, ulong nodeId, FuseSetAttr changes) => NotImplemented<FuseAttrReply>();

    /// <summary>READLINK: the target of a symbolic link.</summary>
    public virtual ValueTask<string> ReadLinkAsync(FuseContext context, ulong nodeId) => NotImplemented<string>();

    /// <summary>SYMLINK: create the link <paramref name="name"/> in <paramref name="parent"/> pointing to <paramref name="target"/>.</summary>
    public virtual ValueTask<FuseEntry> SymlinkAsync(FuseContext context, ulong parent, string name, string target) => NotImplemented<FuseEntry>();

    /// <summary>MKNOD: create a node (a regular file when not implemented otherwise); the kernel has applied the umask unless FUSE_DONT_MASK.</summary>
    public virtual ValueTask<FuseEntry> MknodAsync(FuseContext context, ulong parent, string name, uint mode, uint rdev, uint umask) => NotImplemented<FuseEntry>();

    /// <summary>MKDIR: create a directory.</summary>
    public virtual ValueTask<FuseEntry> MkdirAsync(FuseContext context, ulong parent, string name, uint mode, uint umask) => NotImplemented<FuseEntry>();

    /// <summary>UNLINK: remove a non-directory name. Open files of the node keep working until released.</summary>
    public virtual ValueTask UnlinkAsync(FuseContext context, ulong parent, string name) => NotImplemented();

    /// <summary>RMDIR: remove an empty directory (ENOTEMPTY otherwise).</summary>
    public virtual ValueTask RmdirAsync(FuseContext context, ulong parent, string name) => NotImplemented();

    /// <summary>RENAME and RENAME2: move a name, replacing the target unless <paramref name="flags"/> say otherwise; answer EINVAL for flags you do not support.</summary>
    public virtual ValueTask RenameAsync(FuseContext context, ulong parent, string name, ulong newParent, string newName, FuseRenameFlags flags) => NotImplemented();

    /// <summary>LINK: a new hard link <paramref name="newName"/> in <paramref name="newParent"/> to <paramref name="nodeId"/>.</summary>
    public virtual ValueTask<FuseEntry> LinkAsync(FuseContext context, ulong nodeId, ulong newParent, string newName) => NotImplemented<FuseEntry>();

    /// <summary>STATFS: the capacity figures of the file system. The default reports an empty file system with 255-byte names.</summary>
    public virtual ValueTask<FuseStatFs> StatFsAsync(FuseContext context, ulong nodeId) =>
        ValueTask.FromResult(new FuseStatFs { BlockSize = 4096, FragmentSize = 4096, NameLength = 255 });

    /// <summary>ACCESS: check <paramref name="mask"/> (R_OK 4, W_OK 2, X_OK 1, F_OK 0); not sent with default_permissions.</summary>
    public virtual ValueTask AccessAsync(FuseContext context, ulong nodeId, int mask) => NotImplemented();

    /// <summary>GETXATTR: the value of an extended attribute; throw ENODATA when there is none.</summary>
    public virtual ValueTask<ReadOnlyMemory<byte>> GetXattrAsync(FuseContext context, ulong nodeId, string name) => NotImplemented<ReadOnlyMemory<byte>>();

    /// <summary>LISTXATTR: the names of the extended attributes.</summary>
    public virtual ValueTask<IReadOnlyList<string>> ListXattrAsync(FuseContext context, ulong nodeId) => NotImplemented<IReadOnlyList<string>>();

    /// <summary>The answer for an operation a file system does not implement.</summary>
    protected static ValueTask NotImplemented() => ValueTask.FromException(new FuseException(Errno.ENOSYS));

    /// <summary>The answer for an operation a file system does not implement.</summary>
    protected static ValueTask<T> NotImplemented<T>() => ValueTask.FromException<T>(new FuseException(Errno.ENOSYS));
}
