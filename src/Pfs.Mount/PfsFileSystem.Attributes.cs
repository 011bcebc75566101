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
        if (changes.Has(FuseSetAttrFields.Size))
        {
            await SetSizeAsync(node, handle, (long)changes.Size, CancellationToken.None).ConfigureAwait(false);
        }

        var attributes = new PfsAttributeChanges
        {
            Mode = changes.Has(FuseSetAttrFields.Mode) ? changes.Mode & FuseMode.PermissionMask : null,
            Uid = changes.Has(FuseSetAttrFields.Uid) ? changes.Uid : null,
            Gid = changes.Has(FuseSetAttrFields.Gid) ? changes.Gid : null,
            Accessed = changes.Has(FuseSetAttrFields.AccessTime) ? changes.AccessTime.ToDateTimeOffset() : null,
            Modified = changes.Has(FuseSetAttrFields.ModifyTime) ? changes.ModifyTime.ToDateTimeOffset() : null,
            AccessedNow = changes.Has(FuseSetAttrFields.AccessTimeNow),
            ModifiedNow = changes.Has(FuseSetAttrFields.ModifyTimeNow),
        };
        if (attributes.Mode is not null || attributes.Uid is not null || attributes.Gid is not null || attributes.Accessed is not null
            || attributes.Modified is not null || attributes.AccessedNow || attributes.ModifiedNow)
        {
            if (node.Open is { Dirty: true } open && (attributes.Modified is not null || attributes.ModifiedNow))
            {
                // A writer's close sets mtime: publish the writes first, so futimens before close(2) (cp -a) sticks.
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
