using Pfs.Client;
using Pfs.Fuse;

namespace Pfs.Mount;

/// <summary>SETATTR: chmod, chown, utimes and truncation.</summary>
internal sealed partial class PfsFileSystem
{
    public override async ValueTask<FuseAttrReply> SetAttrAsync(FuseContext context, ulong nodeId, FuseSetAttr changes)
    {
        using var activity = Start("setattr", nodeId);
        var node = NodeFor(nodeId);
        var handle = changes.Has(FuseSetAttrFields.Handle) && _handles.TryGetValue(changes.Handle, out var h) ? h : null;

        // Checked before anything changes, so a refused time leaves the file (and the kernel's view) as it was.
        var accessedNow = changes.Has(FuseSetAttrFields.AccessTimeNow);
        var modifiedNow = changes.Has(FuseSetAttrFields.ModifyTimeNow);
        var attributes = new PfsAttributeChanges
        {
            Mode = changes.Has(FuseSetAttrFields.Mode) ? changes.Mode & FuseMode.PermissionMask : null,
            Uid = changes.Has(FuseSetAttrFields.Uid) ? changes.Uid : null,
            Gid = changes.Has(FuseSetAttrFields.Gid) ? changes.Gid : null,
            Accessed = changes.Has(FuseSetAttrFields.AccessTime) && !accessedNow ? TimeOf(changes.AccessTime) : null,
            Modified = changes.Has(FuseSetAttrFields.ModifyTime) && !modifiedNow ? TimeOf(changes.ModifyTime) : null,
            AccessedNow = accessedNow,
            ModifiedNow = modifiedNow,
        };
        if (changes.Has(FuseSetAttrFields.Size))
        {
            await SetSizeAsync(node, handle, (long)changes.Size, CancellationToken.None).ConfigureAwait(false);
        }

        var setsTimes = attributes.Accessed is not null || attributes.Modified is not null || accessedNow || modifiedNow;
        if (attributes.Mode is not null || attributes.Uid is not null || attributes.Gid is not null || setsTimes)
        {
            if (node.Open is { Dirty: true } open && setsTimes)
            {
                // A writer's close sets mtime and atime: publish the writes first, so a futimens before
                // close(2) (cp -p, rsync) sticks. Only writes after it move the times again.
                await Errors.Map(open.CommitAsync).ConfigureAwait(false);
            }

            var info = await Errors.Map(() => _client.SetAttributesAtAsync(nodeId, string.Empty, attributes, CancellationToken.None)).ConfigureAwait(false);
            if (node.Open?.Current is null)
            {
                return new FuseAttrReply(ToAttr(info), Timeout);
            }
        }

        var after = await StatNodeAsync(nodeId, CancellationToken.None).ConfigureAwait(false);
        return new FuseAttrReply(ToAttr(after), Timeout);
    }

    /// <summary>
    /// A time a utimensat asks for, if Pfs can store it (years 1 to 9999, as the metadata server
    /// keeps); else EINVAL, rather than a wrapped-around time or one the kernel shows but Pfs never stored.
    /// </summary>
    private static DateTimeOffset TimeOf(FuseTime time) =>
        time.TryToDateTimeOffset(out var value) ? value : throw new FuseException(Errno.EINVAL);

    private async Task SetSizeAsync(MountNode node, FileHandle? handle, long length, CancellationToken cancellationToken)
    {
        if (handle is not null)
        {
            // ftruncate: like a write of the descriptor, published at its close.
            await Errors.Map(async () =>
            {
                var (file, _) = await handle.Open.ForWriteAsync(cancellationToken).ConfigureAwait(false);
                handle.Open.MarkDirty();
                await Truncation.SetLengthAsync(file, length, cancellationToken).ConfigureAwait(false);
            }).ConfigureAwait(false);
            return;
        }

        // truncate(2) by path: a write of its own, published before it returns.
        var (extra, _) = await OpenHandleAsync(node, writable: true, truncate: false, cancellationToken).ConfigureAwait(false);
        var temporary = HandleOf(extra);
        try
        {
            await Errors.Map(async () =>
            {
                var (file, _) = await temporary.Open.ForWriteAsync(cancellationToken).ConfigureAwait(false);
                temporary.Open.MarkDirty();
                await Truncation.SetLengthAsync(file, length, cancellationToken).ConfigureAwait(false);
                await temporary.Open.CommitAsync().ConfigureAwait(false);
            }).ConfigureAwait(false);
        }
        finally
        {
            await ReleaseAsync(default, node.Inode, extra, 0).ConfigureAwait(false);
        }
    }
}
