using System.Collections.Concurrent;
using Pfs.Client;
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

    private static readonly TimeSpan UnlockRetryDelay = TimeSpan.FromSeconds(1);

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
            // Also a flock lock's at its descriptor's last close (RELEASE), which nobody sees fail.
            await UnlockAsync(nodeId, owner, requested.Start, requested.End, flock).ConfigureAwait(false);
            return;
        }

        if (!flock)
        {
            // Recorded before the call: a close that races the grant still lets go of it.
            _fcntlOwners.TryAdd((nodeId, owner), 0);
        }

        // A wait ends when the lock is granted or the caller is interrupted (Ctrl+C: EINTR, nothing held); one that would
        // deadlock is refused at once (EDEADLK).
        var conflict = await Errors.Map(() => _client.LockAsync(nodeId, owner, requested.Type == FuseLockType.Write, requested.Start, requested.End, flock,
            requested.Pid, wait, wait ? context.CancellationToken : CancellationToken.None)).ConfigureAwait(false);
        if (conflict is { } found)
        {
            throw new FuseException(found.Deadlock ? Errno.EDEADLK : Errno.EAGAIN);
        }
    }

    /// <summary>At a close (FLUSH): lets go of the fcntl locks the closing process holds on the file, if it ever asked for one.</summary>
    private async ValueTask UnlockClosingOwnerAsync(ulong nodeId, ulong lockOwner)
    {
        if (_fcntlOwners.TryRemove((nodeId, lockOwner), out _))
        {
            try
            {
                await UnlockAsync(nodeId, lockOwner, 0, ulong.MaxValue, flock: false).ConfigureAwait(false);
            }
            catch (FuseException)
            {
                // A close does not fail for its locks (it never does on Linux): the unlock goes on in the background.
            }
        }
    }

    /// <summary>
    /// An unlock that fails (the metadata server out of reach) is tried again in the background until it is answered, so
    /// that a lock whose process let go of it does not stay held for as long as this mount lives; the caller still
    /// gets the error.
    /// </summary>
    private async Task UnlockAsync(ulong nodeId, ulong owner, ulong start, ulong end, bool flock)
    {
        try
        {
            await _client.UnlockAsync(nodeId, owner, start, end, flock).ConfigureAwait(false);
        }
        catch (PfsException ex)
        {
            Log.UnlockRetrying(_logger, nodeId, ex);
            _ = RetryUnlockAsync(nodeId, owner, start, end, flock);
            throw Errors.ToFuse(ex);
        }
    }

    private async Task RetryUnlockAsync(ulong nodeId, ulong owner, ulong start, ulong end, bool flock)
    {
        for (var attempt = 2; ; attempt++)
        {
            await Task.Delay(UnlockRetryDelay).ConfigureAwait(false);
            try
            {
                await _client.UnlockAsync(nodeId, owner, start, end, flock).ConfigureAwait(false);
                Log.UnlockRetried(_logger, nodeId, attempt);
                return;
            }
            catch (PfsException)
            {
                // Still out of reach; a restarted metadata server holds no locks, so the next try succeeds then.
            }
            catch (ObjectDisposedException)
            {
                // The mount is gone, and its lease takes its locks with it.
                return;
            }
        }
    }
}
