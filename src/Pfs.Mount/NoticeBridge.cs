using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Pfs.Client;
using Pfs.Fuse;
using Pfs.Protocol.Meta;

namespace Pfs.Mount;

/// <summary>
/// Carries the client's notices into the kernel: EntryChanged drops a cached name, NodeChanged a
/// node's attributes, Invalidate exactly the changed byte ranges of a file's page cache (and its
/// attributes). The kernel calls run on a worker of their own, never on the notice stream's
/// thread: an invalidation waits for page locks that an in-flight READ holds, and that READ's
/// handler may itself be waiting for an open that waits for the notice stream. An OPEN waits for
/// the worker to have done what the stream had delivered by then (<see cref="WaitAppliedAsync"/>).
/// </summary>
internal sealed class NoticeBridge : IPfsNoticeObserver
{
    private readonly Func<ulong, MountNode?> _findNode;
    private readonly ILogger _logger;
    private readonly Channel<Action<FuseMount>> _work = Channel.CreateUnbounded<Action<FuseMount>>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Lock _gate = new();
    private readonly List<(long Target, TaskCompletionSource Waiter)> _waiters = [];
    private FuseMount? _mount;
    private Task? _worker;
    private long _queued;
    private long _applied;
    private long _epoch = 1;

    public NoticeBridge(Func<ulong, MountNode?> findNode, ILogger logger)
    {
        _findNode = findNode;
        _logger = logger;
    }

    public bool WantsNamespaceNotices => true;

    /// <summary>Moves on whenever notices may have been lost (a broken stream, a new session): cached pages of an older epoch are not trusted.</summary>
    public long Epoch => Interlocked.Read(ref _epoch);

    /// <summary>Starts passing notices to the kernel through <paramref name="mount"/>.</summary>
    public void Attach(FuseMount mount)
    {
        _mount = mount;
        _worker = Task.Run(RunAsync);
    }

    public async Task StopAsync()
    {
        _work.Writer.TryComplete();
        if (_worker is { } worker)
        {
            await worker.ConfigureAwait(false);
        }
    }

    public void OnNotice(Notice notice)
    {
        switch (notice.KindCase)
        {
            case Notice.KindOneofCase.Hello:
                Interlocked.Increment(ref _epoch);
                break;
            case Notice.KindOneofCase.Invalidate:
                Invalidate(notice.Invalidate);
                break;
            case Notice.KindOneofCase.Deleted:
                var deleted = notice.Deleted.FileId;
                Queue(mount => mount.NotifyInvalidateInode(deleted, 0, 0));
                break;
            case Notice.KindOneofCase.EntryChanged:
                var entry = notice.EntryChanged;
                var parent = entry.Parent == 0 ? FuseFileSystem.RootId : entry.Parent;
                Queue(mount =>
                {
                    mount.NotifyInvalidateEntry(parent, entry.Name);
                    // The directory's own attributes changed too (mtime, and the link count for a subdirectory); the kernel
                    // drops them with the entry only if it had the entry cached.
                    mount.NotifyInvalidateInode(parent, -1, 0);
                });
                break;
            case Notice.KindOneofCase.NodeChanged:
                var node = notice.NodeChanged.Inode;
                Queue(mount => mount.NotifyInvalidateInode(node, -1, 0));
                break;
            default:
                break;
        }
    }

    public void OnSessionLost() => Interlocked.Increment(ref _epoch);

    /// <summary>Drops the kernel's cached attributes and pages of <paramref name="inode"/>, as a notice about it would.</summary>
    public void InvalidateLocally(ulong inode) => Queue(mount => mount.NotifyInvalidateInode(inode, 0, 0));

    /// <summary>
    /// Waits until the kernel calls for every notice received so far are done. False if that took
    /// longer than <paramref name="timeout"/> (the caller then distrusts the kernel's cache).
    /// </summary>
    public async Task<bool> WaitAppliedAsync(TimeSpan timeout)
    {
        TaskCompletionSource waiter;
        lock (_gate)
        {
            var target = Interlocked.Read(ref _queued);
            if (Interlocked.Read(ref _applied) >= target)
            {
                return true;
            }

            waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((target, waiter));
        }

        try
        {
            await waiter.Task.WaitAsync(timeout).ConfigureAwait(false);
            return true;
        }
        catch (TimeoutException)
        {
            return false;
        }
    }

    private void Invalidate(Invalidate invalidate)
    {
        var inode = invalidate.FileId;
        var blockSize = _findNode(inode)?.BlockSize ?? 0;
        if (blockSize <= 0)
        {
            // The kernel holds nothing of a node this mount does not know; if it does, drop it all.
            Queue(mount => mount.NotifyInvalidateInode(inode, 0, 0));
            return;
        }

        var ranges = invalidate.Blocks.Select(r => (Offset: checked((long)r.Start * blockSize), Length: checked((long)r.Count * blockSize))).ToList();
        Queue(mount =>
        {
            if (ranges.Count == 0)
            {
                mount.NotifyInvalidateInode(inode, -1, 0);
            }

            foreach (var (offset, length) in ranges)
            {
                mount.NotifyInvalidateInode(inode, offset, length);
            }
        });
    }

    private void Queue(Action<FuseMount> action)
    {
        Interlocked.Increment(ref _queued);
        if (!_work.Writer.TryWrite(action))
        {
            Done();
        }
    }

    private async Task RunAsync()
    {
        await foreach (var action in _work.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                if (_mount is { } mount)
                {
                    action(mount);
                }
            }
            catch (FuseException ex)
            {
                Log.NotifyFailed(_logger, ex.Errno);
            }

            Done();
        }
    }

    private void Done()
    {
        var applied = Interlocked.Increment(ref _applied);
        List<TaskCompletionSource>? done = null;
        lock (_gate)
        {
            for (var i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].Target <= applied)
                {
                    (done ??= []).Add(_waiters[i].Waiter);
                    _waiters.RemoveAt(i);
                }
            }
        }

        done?.ForEach(w => w.TrySetResult());
    }
}
