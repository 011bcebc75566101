using Pfs.Client.Transport;
using Pfs.Protocol.Meta;

namespace Pfs.Client;

/// <summary>
/// An advisory lock in the way of a request: its kind, its bytes (both included) and its process on its own client;
/// <see cref="Deadlock"/> when a wait was refused because that lock's owner waits for one the requester holds.
/// </summary>
internal readonly record struct PfsLockConflict(bool Write, ulong Start, ulong End, uint Pid, bool Deadlock = false);

/// <summary>
/// Advisory locks held by the metadata server for this client's lock owners (a mount passes the kernel's): fcntl's
/// byte-range locks and flock's whole-file locks, so that processes on different hosts exclude each other.
/// Internal: the mount is their user (InternalsVisibleTo).
/// </summary>
public sealed partial class PfsClient
{
    /// <summary>
    /// F_SETLK (or, with <paramref name="wait"/>, F_SETLKW): takes a read or write lock on bytes
    /// <paramref name="start"/> to <paramref name="end"/> of file <paramref name="fileId"/> for <paramref name="owner"/>,
    /// replacing what the owner held there. Returns null once taken; without <paramref name="wait"/>, the lock in the
    /// way if there is one (nothing changes); with it, the lock in the way marked <see cref="PfsLockConflict.Deadlock"/>
    /// if waiting would deadlock (an fcntl wait only). A wait has no deadline: it ends when the lock is granted, or throws
    /// <see cref="OperationCanceledException"/> when <paramref name="cancellationToken"/> fires (then nothing is held).
    /// </summary>
    internal async Task<PfsLockConflict?> LockAsync(ulong fileId, ulong owner, bool write, ulong start, ulong end, bool flock, uint pid, bool wait,
                                                   CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        var request = Request(fileId, owner, write ? RangeLockType.RangeLockWrite : RangeLockType.RangeLockRead, start, end, flock, pid);
        request.Wait = wait;
        var reply = await CallMetaAsync($"lock of file {fileId}", () => _meta.LockAsync(request, wait ? Unbounded(cancellationToken) : Bounded(cancellationToken)).ResponseAsync,
            cancellationToken).ConfigureAwait(false);
        return Conflict(reply);
    }

    /// <summary>F_GETLK: the first lock of another owner that a read or write lock on the bytes would conflict with, or null.</summary>
    internal async Task<PfsLockConflict?> TestLockAsync(ulong fileId, ulong owner, bool write, ulong start, ulong end, bool flock,
                                                       CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        var request = Request(fileId, owner, write ? RangeLockType.RangeLockWrite : RangeLockType.RangeLockRead, start, end, flock, pid: 0);
        request.Test = true;
        var reply = await CallMetaAsync($"lock test of file {fileId}", () => _meta.LockAsync(request, Bounded(cancellationToken)).ResponseAsync,
            cancellationToken).ConfigureAwait(false);
        return Conflict(reply);
    }

    /// <summary>F_UNLCK: lets go of what <paramref name="owner"/> holds on the bytes (holding nothing there is no error).</summary>
    internal async Task UnlockAsync(ulong fileId, ulong owner, ulong start, ulong end, bool flock, CancellationToken cancellationToken = default)
    {
        ThrowIfDisposed();
        var request = Request(fileId, owner, RangeLockType.RangeLockUnlock, start, end, flock, pid: 0);
        await CallMetaAsync($"unlock of file {fileId}", () => _meta.LockAsync(request, Bounded(cancellationToken)).ResponseAsync, cancellationToken).ConfigureAwait(false);
    }

    private LockRequest Request(ulong fileId, ulong owner, RangeLockType type, ulong start, ulong end, bool flock, uint pid) =>
        start > end
            ? throw PfsErrors.InvalidArgument($"a lock's start ({start}) is past its end ({end})")
            : new LockRequest { ClientId = Options.ClientId, FileId = fileId, Owner = owner, Type = type, Start = start, End = end, Flock = flock, Pid = pid };

    private static PfsLockConflict? Conflict(LockReply reply) =>
        reply.Granted ? null : new PfsLockConflict(reply.ConflictType == RangeLockType.RangeLockWrite, reply.ConflictStart, reply.ConflictEnd, reply.ConflictPid, reply.Deadlock);
}
