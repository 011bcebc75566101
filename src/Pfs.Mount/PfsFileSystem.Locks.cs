using System.Collections.Concurrent;
using Pfs.Fuse;

namespace Pfs.Mount;

/// <summary>
/// fcntl and flock locks, held by the metadata server so that processes on different mounts exclude each other as
/// processes on one machine do (sqlite, the flock tool, package managers). The kernel passes each request with its
/// lock owner (a process's file table for fcntl, an open file description for flock); a close lets go of the closing
/// process's fcntl locks on the file (FLUSH), the last close of a description its flock locks (RELEASE).
/// </summary>
internal sealed partial class PfsFileSystem
{
    // The (inode, owner) pairs that asked for an fcntl lock here: only their close costs an unlock call.
    private readonly ConcurrentDictionary<(ulong Inode, ulong Owner), byte> _fcntlOwners = new();

    public override async ValueTask<FuseLock> GetLockAsync(FuseContext context, ulong nodeId, ulong handle, ulong owner, FuseLock requested, bool flock)
    {
        if (requested.Type == FuseLockType.Unlock)
        {
            throw new FuseException(Errno.EINVAL);
        }

        using var activity = Start("getlk", nodeId);
        var conflict = await Errors.Map(() => _client.TestLockAsync(nodeId, owner, requested.Type == FuseLockType.Write, requested.Start, requested.End, flock))
            .ConfigureAwait(false);
        return conflict is { } found ? new FuseLock(found.Start, found.End, found.Write ? FuseLockType.Write : FuseLockType.Read, found.Pid) : FuseLock.None;
    }

    public override async ValueTask SetLockAsync(FuseContext context, ulong nodeId, ulong handle, ulong owner, FuseLock requested, bool flock, bool wait)
    {
        using var activity = Start(wait ? "setlkw" : "setlk", nodeId);
        if (requested.Type == FuseLockType.Unlock)
        {
            await Errors.Map(() => _client.UnlockAsync(nodeId, owner, requested.Start, requested.End, flock)).ConfigureAwait(false);
            return;
        }

        if (!flock)
        {
            // Recorded before the call: a close that races the grant still lets go of it.
            _fcntlOwners.TryAdd((nodeId, owner), 0);
        }

        // A wait ends when the lock is granted or the caller is interrupted (Ctrl+C: EINTR, nothing held).
        var conflict = await Errors.Map(() => _client.LockAsync(nodeId, owner, requested.Type == FuseLockType.Write, requested.Start, requested.End, flock,
            requested.Pid, wait, wait ? context.CancellationToken : CancellationToken.None)).ConfigureAwait(false);
        if (conflict is not null)
        {
            throw new FuseException(Errno.EAGAIN);
        }
    }

    /// <summary>At a close (FLUSH): lets go of the fcntl locks the closing process holds on the file, if it ever asked for one.</summary>
    private async ValueTask UnlockClosingOwnerAsync(ulong nodeId, ulong lockOwner)
    {
        if (_fcntlOwners.TryRemove((nodeId, lockOwner), out _))
        {
            await Errors.Map(() => _client.UnlockAsync(nodeId, lockOwner, 0, ulong.MaxValue, flock: false)).ConfigureAwait(false);
        }
    }
}
