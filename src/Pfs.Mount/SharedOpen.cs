using Pfs.Client;

namespace Pfs.Mount;

/// <summary>
/// The one Pfs open of a file that all of its descriptors on this mount share. It is a Read open
/// while only readers need it and moves to a Write open when a descriptor must write (closing the
/// Read open first, then waiting for other clients' writers, cancellably). A commit closes the
/// Write open, which publishes the writes; the next use opens again.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "A SemaphoreSlim whose AvailableWaitHandle is never read holds no handle: nothing to dispose.")]
internal sealed class SharedOpen(PfsClient client, ulong inode)
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private PfsFile? _file;
    private int _dirty;
    // The close of the open being published or closed now; completed when none is.
    private Task _settling = Task.CompletedTask;

    /// <summary>Descriptors (FUSE file handles) using this open; guarded by the node lock.</summary>
    public int Handles { get; set; }

    /// <summary>Whether writes since the last commit wait to be published.</summary>
    public bool Dirty => Volatile.Read(ref _dirty) != 0;

    /// <summary>The open now (any mode), if there is one.</summary>
    public PfsFile? Current => Volatile.Read(ref _file);

    /// <summary>
    /// The close in progress of the open that was <see cref="Current"/> (a commit's, or the last descriptor's);
    /// completed when there is none. Until it completes the metadata server may not know the file's new size
    /// yet, so an attribute read waits for it (it may fault: the failure is its closer's to report).
    /// </summary>
    public Task Settling => Volatile.Read(ref _settling);

    /// <summary>An open to read through: the current one of either mode, or a new Read open. Answers whether it opened one.</summary>
    public async ValueTask<(PfsFile File, bool Opened)> ForReadAsync(CancellationToken cancellationToken)
    {
        if (Current is { } file)
        {
            return (file, false);
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_file is { } again)
            {
                return (again, false);
            }

            var opened = await client.OpenAtAsync(inode, string.Empty, PfsOpenMode.Read, cancellationToken).ConfigureAwait(false);
            Volatile.Write(ref _file, opened);
            return (opened, true);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>A Write open, moving a Read open to Write (which waits for other clients' writers). Answers whether it opened one.</summary>
    public async ValueTask<(PfsFile File, bool Opened)> ForWriteAsync(CancellationToken cancellationToken)
    {
        if (Current is { Mode: PfsOpenMode.Write } file)
        {
            return (file, false);
        }

        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (_file is { Mode: PfsOpenMode.Write } again)
            {
                return (again, false);
            }

            if (_file is { } reader)
            {
                Volatile.Write(ref _file, null);
                await CloseQuietlyAsync(reader).ConfigureAwait(false);
            }

            var opened = await client.OpenAtAsync(inode, string.Empty, PfsOpenMode.Write, cancellationToken).ConfigureAwait(false);
            Volatile.Write(ref _file, opened);
            return (opened, true);
        }
        finally
        {
            _gate.Release();
        }
    }

    public void MarkDirty() => Volatile.Write(ref _dirty, 1);

    /// <summary>
    /// The file has no name any more (unlinked here while open). Pfs frees an unlinked file when its
    /// last handle closes, so from now on the open is never closed before the last descriptor goes:
    /// commits do nothing (no one can open it by name anyway).
    /// </summary>
    public bool Orphan { get; set; }

    /// <summary>
    /// Publishes the writes: closes the Write open (dirty blocks to the file servers, invalidations
    /// to the other clients, the lock released). A Read open stays.
    /// </summary>
    public async Task CommitAsync()
    {
        if (Orphan)
        {
            return;
        }

        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_file is { Mode: PfsOpenMode.Write } writer)
            {
                await SettleAsync(writer).ConfigureAwait(false);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Closes the open, whatever its mode (the last descriptor went). If the close fails and the open is still
    /// there (a file server or the metadata server out of reach), it stays <see cref="Current"/> and dirty, and
    /// this may be called again: nothing written is dropped.
    /// </summary>
    public async Task CloseAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_file is { } file)
            {
                await SettleAsync(file).ConfigureAwait(false);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Gives the open up without committing (<see cref="PfsFile.AbortAsync"/>): for a file deleted while its close
    /// kept failing, whose writes nobody can read any more and whose stage may be filling a disk.
    /// </summary>
    public async Task AbortAsync()
    {
        await _gate.WaitAsync().ConfigureAwait(false);
        try
        {
            if (_file is { } file)
            {
                try
                {
                    await file.AbortAsync().ConfigureAwait(false);
                }
                catch (PfsException ex) when (ex.Code == PfsErrorCode.PermissionDenied)
                {
                    // Refused (the identity was revoked): closed here all the same; its lock goes with the lease.
                }

                Volatile.Write(ref _file, null);
                Volatile.Write(ref _dirty, 0);
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    // Under the gate: closes `file`, which is Current, as Settling. If the close fails with the open still
    // there, the open stays Current (and dirty, if it was): the next commit or close tries again.
    private async Task SettleAsync(PfsFile file)
    {
        var wasDirty = Volatile.Read(ref _dirty) != 0;
        var close = file.CloseAsync().AsTask();
        Volatile.Write(ref _settling, close);
        Volatile.Write(ref _dirty, 0);
        Volatile.Write(ref _file, null);
        try
        {
            await close.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not PfsException { Code: PfsErrorCode.Closed })
        {
            // Closed means the open is gone (its lease ran out, or the metadata server restarted): nothing to retry.
            Volatile.Write(ref _file, file);
            if (wasDirty)
            {
                Volatile.Write(ref _dirty, 1);
            }

            throw;
        }
    }

    private static async Task CloseQuietlyAsync(PfsFile file)
    {
        try
        {
            await file.CloseAsync().ConfigureAwait(false);
        }
        catch (PfsException)
        {
            // A Read open that cannot be closed cleanly holds nothing its lease will not free.
        }
    }
}
