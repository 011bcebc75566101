namespace Pfs.Fuse;

/// <summary>
/// Who asked, and how to stop: passed to every <see cref="FuseFileSystem"/> handler.
/// </summary>
public readonly struct FuseContext
{
    internal FuseContext(ulong unique, ulong nodeId, uint uid, uint gid, uint pid, CancellationToken cancellationToken)
    {
        Unique = unique;
        NodeId = nodeId;
        Uid = uid;
        Gid = gid;
        Pid = pid;
        CancellationToken = cancellationToken;
    }

    /// <summary>The kernel's id of the request (unique among the requests in flight).</summary>
    public ulong Unique { get; }

    /// <summary>The node the request is about (the parent directory for name operations).</summary>
    public ulong NodeId { get; }

    /// <summary>The effective user id of the calling process (as seen from the mount's namespace).</summary>
    public uint Uid { get; }

    /// <summary>The effective group id of the calling process.</summary>
    public uint Gid { get; }

    /// <summary>The thread group id of the calling process; 0 for requests the kernel makes on its own (writeback, readahead).</summary>
    public uint Pid { get; }

    /// <summary>
    /// Cancelled when the kernel sends FUSE_INTERRUPT for this request (the caller got a signal)
    /// or when the session ends. A handler that gives up throws <see cref="OperationCanceledException"/>,
    /// which the binding answers with EINTR.
    /// </summary>
    public CancellationToken CancellationToken { get; }
}
