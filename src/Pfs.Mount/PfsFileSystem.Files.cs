using Pfs.Client;
using Pfs.Fuse;

namespace Pfs.Mount;

internal sealed partial class PfsFileSystem
{
    private const int AccessModeMask = 3;
    private const int ReadOnly = 0;
    private const int Truncate = 0x200;
    private const int Exclusive = 0x80;
    private static readonly TimeSpan InvalidationWait = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan InterruptGrace = TimeSpan.FromMilliseconds(300);

    public override async ValueTask<FuseOpenResult> OpenAsync(FuseContext context, ulong nodeId, int flags)
    {
        using var activity = Start("open", nodeId);
        var node = NodeFor(nodeId);
        if (node.Kind == PfsEntryKind.Directory)
        {
            throw new FuseException(Errno.EISDIR);
        }

        var writable = (flags & AccessModeMask) != ReadOnly;
        using var interrupt = InterruptAfterGrace(context);
        ulong handle;
        bool opened;
        try
        {
            (handle, opened) = await OpenHandleAsync(node, writable, (flags & Truncate) != 0, interrupt.Token).ConfigureAwait(false);
        }
        catch (FuseException ex) when (ex.Errno == Errno.ENOENT)
        {
            throw Stale(ex);
        }

        return new FuseOpenResult(handle, await CacheFlagsAsync(node, opened).ConfigureAwait(false));
    }

    public override async ValueTask<FuseCreateResult> CreateAsync(FuseContext context, ulong parent, string name, uint mode, uint umask, int flags)
    {
        CheckName(name);
        using var activity = Start("create", parent);
        PfsFileInfo info;
        try
        {
            info = await _client.CreateAtAsync(parent, name, NewFile(context, mode), CancellationToken.None).ConfigureAwait(false);
        }
        catch (PfsException ex) when (ex.Code == PfsErrorCode.AlreadyExists && (flags & Exclusive) == 0)
        {
            // Another client made it since the kernel's lookup: open(2) without O_EXCL opens that one.
            info = await Errors.Map(() => _client.StatAtAsync(parent, name, CancellationToken.None)).ConfigureAwait(false);
            if (info.Kind == PfsEntryKind.Directory)
            {
                throw new FuseException(Errno.EISDIR);
            }
        }
        catch (PfsException ex)
        {
            throw Errors.ToFuse(ex);
        }

        var entry = Entry(info);
        var node = NodeFor(info.Inode);
        var writable = (flags & AccessModeMask) != ReadOnly;
        try
        {
            using var interrupt = InterruptAfterGrace(context);
            var (handle, opened) = await OpenHandleAsync(node, writable, (flags & Truncate) != 0 && info.Size > 0, interrupt.Token)
                .ConfigureAwait(false);
            return new FuseCreateResult(entry, handle, await CacheFlagsAsync(node, opened).ConfigureAwait(false));
        }
        catch
        {
            // The kernel never sees this entry: give its lookup back.
            Forget(info.Inode, 1);
            throw;
        }
    }

    /// <summary>
    /// mknod(2): a regular file is made as by create, without an open. Pfs keeps no FIFOs, sockets or device
    /// files, so those are EPERM (as on file systems that cannot hold them; mkfifo and a socket's bind say
    /// "Operation not permitted"), with nothing made.
    /// </summary>
    public override async ValueTask<FuseEntry> MknodAsync(FuseContext context, ulong parent, string name, uint mode, uint rdev, uint umask)
    {
        CheckName(name);
        if ((mode & FuseMode.TypeMask) is not (0 or FuseMode.Regular))
        {
            throw new FuseException(Errno.EPERM);
        }

        using var activity = Start("mknod", parent);
        var info = await Errors.Map(() => _client.CreateAtAsync(parent, name, NewFile(context, mode), CancellationToken.None)).ConfigureAwait(false);
        return Entry(info);
    }

    /// <summary>A new file's layout (this mount's) and its mode and owner (the caller's).</summary>
    private PfsCreateOptions NewFile(FuseContext context, uint mode) => new()
    {
        StripeWidth = StripeWidth,
        ParityBlocks = _options.ParityBlocks,
        BlockSize = _options.BlockSize,
        Mode = mode & FuseMode.PermissionMask,
        Uid = context.Uid,
        Gid = context.Gid,
    };

    public override async ValueTask<int> ReadAsync(FuseContext context, ulong nodeId, ulong handle, long offset, Memory<byte> buffer)
    {
        using var activity = Start("read", nodeId);
        activity?.SetTag("pfs.offset", offset);
        activity?.SetTag("pfs.bytes", buffer.Length);
        var open = HandleOf(handle).Open;
        while (true)
        {
            var (file, _) = await Errors.Map(async () => await open.ForReadAsync(CancellationToken.None).ConfigureAwait(false)).ConfigureAwait(false);
            try
            {
                var read = await file.ReadAsync(buffer, offset, CancellationToken.None).ConfigureAwait(false);
                Interlocked.Add(ref _bytesRead, read);
                return read;
            }
            catch (PfsException ex) when (ex.Code == PfsErrorCode.Closed && !ReferenceEquals(open.Current, file))
            {
                // Moved to Write or committed by another descriptor meanwhile: read through the new open.
            }
            catch (PfsException ex)
            {
                throw Errors.ToFuse(ex);
            }
        }
    }

    public override async ValueTask<int> WriteAsync(FuseContext context, ulong nodeId, ulong handle, long offset, ReadOnlyMemory<byte> data, FuseWriteFlags flags)
    {
        using var activity = Start("write", nodeId);
        activity?.SetTag("pfs.offset", offset);
        activity?.SetTag("pfs.bytes", data.Length);
        var open = HandleOf(handle).Open;
        while (true)
        {
            var (file, _) = await Errors.Map(async () => await open.ForWriteAsync(CancellationToken.None).ConfigureAwait(false)).ConfigureAwait(false);
            try
            {
                open.MarkDirty();
                await file.WriteAsync(data, offset, CancellationToken.None).ConfigureAwait(false);
                return data.Length;
            }
            catch (PfsException ex) when (ex.Code == PfsErrorCode.Closed && !ReferenceEquals(open.Current, file))
            {
                // Committed by another descriptor's close meanwhile: write through a new Write open.
            }
            catch (PfsException ex)
            {
                throw Errors.ToFuse(ex);
            }
        }
    }

    public override async ValueTask FlushAsync(FuseContext context, ulong nodeId, ulong handle, ulong lockOwner)
    {
        var file = HandleOf(handle);
        try
        {
            if (file.Writable && file.Open.Dirty)
            {
                // close(2) of a descriptor that wrote: publish, so every later open anywhere reads the new bytes.
                using var activity = Start("flush", nodeId);
                await Errors.Map(file.Open.CommitAsync).ConfigureAwait(false);
            }
        }
        finally
        {
            // Also when the publish failed: a close lets go of the process's fcntl locks on the file whatever else happens.
            await UnlockClosingOwnerAsync(nodeId, lockOwner).ConfigureAwait(false);
        }
    }

    public override async ValueTask FsyncAsync(FuseContext context, ulong nodeId, ulong handle, bool dataOnly)
    {
        var file = HandleOf(handle);
        if (file.Open.Dirty)
        {
            using var activity = Start("fsync", nodeId);
            await Errors.Map(file.Open.CommitAsync).ConfigureAwait(false);
        }
    }

    public override async ValueTask ReleaseAsync(FuseContext context, ulong nodeId, ulong handle, int flags)
    {
        if (!_handles.TryRemove(handle, out var file))
        {
            return;
        }

        bool last;
        lock (_nodeLock)
        {
            file.Open.Handles--;
            last = file.Open.Handles == 0;
            if (last && ReferenceEquals(file.Node.Open, file.Open))
            {
                // The node stays known until its close is done (ClosingDone), so attribute reads find it and wait.
                file.Node.Open = null;
                file.Node.Closing = file.Open;
            }
        }

        if (last)
        {
            try
            {
                await file.Open.CloseAsync().ConfigureAwait(false);
                ClosingDone(file.Node, file.Open);
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException)
            {
                // Its writes are not stored yet (a file server or the metadata server out of reach): the open stays,
                // holding the file's lock, and its close is tried again until it lands, rather than dropped.
                if (TakenBack(file.Open))
                {
                    // A new descriptor took the open back meanwhile (OpenHandleAsync): its last RELEASE closes it again.
                    Log.CloseFailed(_logger, nodeId, ex);
                }
                else if (file.Open.Current is { } current && CannotSucceed(ex))
                {
                    await GiveUpAsync(file.Node, file.Open, current.Name, ex).ConfigureAwait(false);
                    ClosingDone(file.Node, file.Open);
                }
                else if (file.Open.Current is not null)
                {
                    Log.CloseRetrying(_logger, nodeId, ex);
                    RetryClose(file.Node, file.Open);
                }
                else
                {
                    Log.CloseFailed(_logger, nodeId, ex);
                    if (ex is PfsException { Code: PfsErrorCode.Closed })
                    {
                        // The open is gone (fenced: its lease ran out while this mount could not reach the cluster), and
                        // its writes with it: what the kernel caches of them is not the file's content.
                        Notices.InvalidateLocally(file.Node.Inode);
                    }

                    ClosingDone(file.Node, file.Open);
                }
            }
        }
    }

    /// <summary>
    /// A close that trying again cannot make succeed: the file servers are out of space (close(2) said ENOSPC), or this
    /// identity was revoked. Retried, the first would store the writes that fit, behind the back of a program that was
    /// told they failed, whenever space came back, and would hold the lock (and the space) until then; the second would
    /// hold the lock for ever. A server out of reach is different: its close is retried, so nothing written is lost.
    /// </summary>
    private static bool CannotSucceed(Exception ex) => ex is PfsException { Code: PfsErrorCode.NoSpace or PfsErrorCode.PermissionDenied };

    /// <summary>Discards the writes of an open whose close cannot succeed, and drops what the kernel caches of the file.</summary>
    private async Task GiveUpAsync(MountNode node, SharedOpen open, string name, Exception why)
    {
        try
        {
            await open.AbortAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException)
        {
            // The metadata server frees the open with this client's lease, and its stages with it.
            Log.CloseFailed(_logger, node.Inode, ex);
        }

        Log.CloseGivenUp(_logger, node.Inode, name, why);
        Notices.InvalidateLocally(node.Inode);
    }

    private bool TakenBack(SharedOpen open)
    {
        lock (_nodeLock)
        {
            return open.Handles > 0;
        }
    }

    private void ClosingDone(MountNode node, SharedOpen open)
    {
        lock (_nodeLock)
        {
            if (ReferenceEquals(node.Closing, open))
            {
                node.Closing = null;
                if (node.Lookups <= 0 && node.Open is null && node.Inode != RootId
                    && _nodes.TryGetValue(node.Inode, out var known) && ReferenceEquals(known, node))
                {
                    _nodes.Remove(node.Inode);
                }
            }
        }
    }

    /// <summary>
    /// Closes <paramref name="open"/> in the background until it succeeds (a file server or the metadata server is
    /// back), the open is gone, a new descriptor takes it back, or the mount stops (<see cref="CloseAllAsync"/> then tries
    /// once more). Waits grow from <see cref="CloseRetryFirst"/> to <see cref="CloseRetryMost"/>.
    /// </summary>
    private void RetryClose(MountNode node, SharedOpen open)
    {
        if (!_unclosed.TryAdd(open, node))
        {
            return;
        }

        var name = open.Current?.Name ?? string.Empty;
        _ = Task.Run(async () =>
        {
            var wait = CloseRetryFirst;
            for (var attempt = 2; ; attempt++)
            {
                await Task.Delay(wait).ConfigureAwait(false);
                if (_stopping)
                {
                    // CloseAllAsync tries it once more.
                    return;
                }

                bool orphan;
                lock (_nodeLock)
                {
                    // Taken back by a new descriptor (OpenHandleAsync), whose last RELEASE closes it again. Checked under
                    // the node lock and before Orphan, so an open in use again is never given up.
                    if (open.Handles > 0)
                    {
                        _unclosed.TryRemove(open, out _);
                        return;
                    }

                    orphan = open.Orphan;
                }

                try
                {
                    if (orphan)
                    {
                        // Deleted meanwhile, with no descriptor left: no one can read these writes any more.
                        await open.AbortAsync().ConfigureAwait(false);
                        Log.CloseAbandoned(_logger, node.Inode);
                        break;
                    }

                    await open.CloseAsync().ConfigureAwait(false);
                    if (open.Current is null)
                    {
                        Log.CloseRetried(_logger, node.Inode, name, attempt);
                        break;
                    }
                }
                catch (Exception ex) when (ex is IOException or OperationCanceledException)
                {
                    if (open.Current is not null && CannotSucceed(ex))
                    {
                        await GiveUpAsync(node, open, name, ex).ConfigureAwait(false);
                        break;
                    }

                    if (open.Current is null)
                    {
                        // The open itself is gone (its lease ran out): nothing is left to close, and its writes went with it.
                        Log.CloseFailed(_logger, node.Inode, ex);
                        Notices.InvalidateLocally(node.Inode);
                        break;
                    }
                }

                wait = TimeSpan.FromTicks(Math.Min(wait.Ticks * 2, CloseRetryMost.Ticks));
            }

            _unclosed.TryRemove(open, out _);
            ClosingDone(node, open);
        });
    }

    /// <summary>A new descriptor on the node's shared open: opens it in Pfs (waiting, cancellably, for other clients' writers) as the mode needs.</summary>
    private async Task<(ulong Handle, bool Opened)> OpenHandleAsync(MountNode node, bool writable, bool truncate, CancellationToken cancellationToken)
    {
        SharedOpen open;
        lock (_nodeLock)
        {
            if (node.Open is null && node.Closing is { Orphan: false } closing)
            {
                // The last descriptor's close is in progress or being retried (a file server out of reach): this mount
                // holds the file's lock itself, with writes not yet stored. A new descriptor takes that open back, its
                // writes included, as a local file system's page cache keeps unwritten data, instead of waiting for a
                // lock that only this open's close would give back. Its last descriptor closes it again.
                node.Closing = null;
                node.Open = closing;
            }

            open = node.Open ??= new SharedOpen(_client, node.Inode);
            open.Handles++;
        }

        var handle = (ulong)Interlocked.Increment(ref _nextHandle);
        var file = new FileHandle(node, open, writable);
        _handles[handle] = file;
        try
        {
            bool opened;
            if (writable)
            {
                (var writer, opened) = await open.ForWriteAsync(cancellationToken).ConfigureAwait(false);
                if (truncate && writer.Size != 0)
                {
                    open.MarkDirty();
                    await Truncation.SetLengthAsync(writer, 0, cancellationToken).ConfigureAwait(false);
                }
                else if (truncate)
                {
                    // O_TRUNC of an empty file changes no byte, so its close changes nothing; open(2) still marks mtime and ctime.
                    await _client.SetAttributesAtAsync(node.Inode, string.Empty, new PfsAttributeChanges { ModifiedNow = true }, cancellationToken)
                        .ConfigureAwait(false);
                }
            }
            else
            {
                (_, opened) = await open.ForReadAsync(cancellationToken).ConfigureAwait(false);
            }

            return (handle, opened);
        }
        catch (PfsException ex)
        {
            await ReleaseAsync(default, node.Inode, handle, 0).ConfigureAwait(false);
            throw Errors.ToFuse(ex);
        }
        catch
        {
            await ReleaseAsync(default, node.Inode, handle, 0).ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// KEEP_CACHE when the kernel's pages of the file are known to match Pfs: a new Pfs open caught up
    /// on the notices and the kernel has dropped every range they named, with no notice lost since
    /// the pages were last trusted. Otherwise the kernel drops the file's pages at this open.
    /// </summary>
    private async Task<FuseOpenFlags> CacheFlagsAsync(MountNode node, bool opened)
    {
        var epoch = Notices.Epoch;
        var keep = node.TrustedEpoch == epoch;
        if (opened && !await Notices.WaitAppliedAsync(InvalidationWait).ConfigureAwait(false))
        {
            keep = false;
        }

        node.TrustedEpoch = Notices.Epoch == epoch ? epoch : 0;
        return keep ? FuseOpenFlags.KeepCache : FuseOpenFlags.None;
    }

    /// <summary>
    /// A token for waiting on another client's lock: FUSE_INTERRUPT (Ctrl+C, any signal the caller
    /// handles) cancels it, but only if the wait is still going on <see cref="InterruptGrace"/> later.
    /// Other operations finish regardless: a signal that merely arrives during a quick call (as
    /// stress-ng's alarm does) must not turn it into EINTR, which no local file system returns there.
    /// </summary>
    private static CancellationTokenSource InterruptAfterGrace(FuseContext context)
    {
        var grace = new CancellationTokenSource();
        context.CancellationToken.UnsafeRegister(static state =>
        {
            try
            {
                ((CancellationTokenSource)state!).CancelAfter(InterruptGrace);
            }
            catch (ObjectDisposedException)
            {
                // The open finished first.
            }
        }, grace);
        return grace;
    }

    private FileHandle HandleOf(ulong handle) =>
        _handles.TryGetValue(handle, out var file) ? file : throw new FuseException(Errno.EBADF);
}
