namespace Pfs.Fuse;

public abstract partial class FuseFileSystem
{
    /// <summary>
    /// OPEN: open a file with the open(2) <paramref name="flags"/> (O_ACCMODE, O_APPEND, O_TRUNC when
    /// FUSE_ATOMIC_O_TRUNC is in force; O_CREAT and O_EXCL are the kernel's). The handle comes back
    /// in every request on the open file.
    /// </summary>
    public virtual ValueTask<FuseOpenResult> OpenAsync(FuseContext context, ulong nodeId, int flags) => NotImplemented<FuseOpenResult>();

    /// <summary>CREATE: create and open <paramref name="name"/> in <paramref name="parent"/> (open(2) with O_CREAT); throw EEXIST when it exists and <paramref name="flags"/> hold O_EXCL.</summary>
    public virtual ValueTask<FuseCreateResult> CreateAsync(FuseContext context, ulong parent, string name, uint mode, uint umask, int flags) => NotImplemented<FuseCreateResult>();

    /// <summary>READ: fill <paramref name="buffer"/> from <paramref name="offset"/> and answer the bytes read; fewer than asked means end of file (unless the file was opened with <see cref="FuseOpenFlags.DirectIo"/>).</summary>
    public virtual ValueTask<int> ReadAsync(FuseContext context, ulong nodeId, ulong handle, long offset, Memory<byte> buffer) => NotImplemented<int>();

    /// <summary>WRITE: write <paramref name="data"/> at <paramref name="offset"/> and answer the bytes written.</summary>
    public virtual ValueTask<int> WriteAsync(FuseContext context, ulong nodeId, ulong handle, long offset, ReadOnlyMemory<byte> data, FuseWriteFlags flags) => NotImplemented<int>();

    /// <summary>
    /// FLUSH: a close(2) of one descriptor of the open file (there may be several, through dup and fork). A file system
    /// that implements <see cref="SetLockAsync"/> lets go here of every fcntl lock <paramref name="lockOwner"/> holds on
    /// the file, as a close does on Linux (the kernel sends no unlock of its own).
    /// </summary>
    public virtual ValueTask FlushAsync(FuseContext context, ulong nodeId, ulong handle, ulong lockOwner) => NotImplemented();

    /// <summary>RELEASE: the last descriptor of the open file is gone. Errors are not seen by anyone.</summary>
    public virtual ValueTask ReleaseAsync(FuseContext context, ulong nodeId, ulong handle, int flags) => NotImplemented();

    /// <summary>
    /// GETLK (fcntl F_GETLK): the first lock of another owner that <paramref name="requested"/> would conflict with, or
    /// <see cref="FuseLock.None"/>. <paramref name="flock"/> for a BSD flock request. Implemented together with
    /// <see cref="SetLockAsync"/>: the binding then asks the kernel to send both kinds of lock here (FUSE_POSIX_LOCKS,
    /// FUSE_FLOCK_LOCKS) instead of keeping them itself.
    /// </summary>
    public virtual ValueTask<FuseLock> GetLockAsync(FuseContext context, ulong nodeId, ulong handle, ulong owner, FuseLock requested, bool flock) => NotImplemented<FuseLock>();

    /// <summary>
    /// SETLK and SETLKW (fcntl F_SETLK/F_SETLKW, flock): take or let go of <paramref name="requested"/> for
    /// <paramref name="owner"/>. Without <paramref name="wait"/> a conflict is EAGAIN; with it, wait until the lock can
    /// be taken (FUSE_INTERRUPT cancels <see cref="FuseContext.CancellationToken"/>: then EINTR, holding nothing). An
    /// open file that took flock locks lets go of them at its RELEASE through an unlock here.
    /// </summary>
    public virtual ValueTask SetLockAsync(FuseContext context, ulong nodeId, ulong handle, ulong owner, FuseLock requested, bool flock, bool wait) => NotImplemented();

    /// <summary>FSYNC: make the file durable; <paramref name="dataOnly"/> for fdatasync.</summary>
    public virtual ValueTask FsyncAsync(FuseContext context, ulong nodeId, ulong handle, bool dataOnly) => NotImplemented();

    /// <summary>FALLOCATE: allocate or punch a range (fallocate(2) <paramref name="mode"/>); EOPNOTSUPP for modes you do not support.</summary>
    public virtual ValueTask FallocateAsync(FuseContext context, ulong nodeId, ulong handle, long offset, long length, int mode) => NotImplemented();

    /// <summary>LSEEK: SEEK_DATA (3) and SEEK_HOLE (4); the kernel handles the other kinds itself.</summary>
    public virtual ValueTask<long> LseekAsync(FuseContext context, ulong nodeId, ulong handle, long offset, int whence) => NotImplemented<long>();
}
