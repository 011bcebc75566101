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

    /// <summary>FLUSH: a close(2) of one descriptor of the open file (there may be several, through dup and fork).</summary>
    public virtual ValueTask FlushAsync(FuseContext context, ulong nodeId, ulong handle, ulong lockOwner) => NotImplemented();

    /// <summary>RELEASE: the last descriptor of the open file is gone. Errors are not seen by anyone.</summary>
    public virtual ValueTask ReleaseAsync(FuseContext context, ulong nodeId, ulong handle, int flags) => NotImplemented();

    /// <summary>FSYNC: make the file durable; <paramref name="dataOnly"/> for fdatasync.</summary>
    public virtual ValueTask FsyncAsync(FuseContext context, ulong nodeId, ulong handle, bool dataOnly) => NotImplemented();

    /// <summary>FALLOCATE: allocate or punch a range (fallocate(2) <paramref name="mode"/>); EOPNOTSUPP for modes you do not support.</summary>
    public virtual ValueTask FallocateAsync(FuseContext context, ulong nodeId, ulong handle, long offset, long length, int mode) => NotImplemented();

    /// <summary>LSEEK: SEEK_DATA (3) and SEEK_HOLE (4); the kernel handles the other kinds itself.</summary>
    public virtual ValueTask<long> LseekAsync(FuseContext context, ulong nodeId, ulong handle, long offset, int whence) => NotImplemented<long>();
}
