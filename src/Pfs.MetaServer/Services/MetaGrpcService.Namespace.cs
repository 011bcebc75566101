using Google.Protobuf;
using Grpc.Core;
using Pfs.MetaServer.Registry;
using Pfs.Protocol.Meta;

namespace Pfs.MetaServer.Services;

/// <summary>The namespace calls of version 2: each is one mutation of the <see cref="Namespace"/>, or a read of it.</summary>
internal sealed partial class MetaGrpcService
{
    // A listing page stays well under the message limit whatever its paths hold.
    private const int MaxPageBytes = 1024 * 1024;

    public override async Task<NodeReply> MakeDirectory(MakeDirectoryRequest request, ServerCallContext context)
    {
        var view = await _names.MakeDirectoryAsync(request.Base, request.Path, request.HasMode ? request.Mode : null, request.Uid, request.Gid,
            ActorOf(context), context.CancellationToken).ConfigureAwait(false);
        return new NodeReply { Node = view.ToFileInfo() };
    }

    public override async Task<RemoveReply> RemoveDirectory(RemoveDirectoryRequest request, ServerCallContext context)
    {
        var before = await _names.RemoveDirectoryAsync(request.Base, request.Path, ActorOf(context), context.CancellationToken).ConfigureAwait(false);
        return new RemoveReply { Node = before.ToFileInfo() };
    }

    public override Task<ListDirectoryReply> ListDirectory(ListDirectoryRequest request, ServerCallContext context)
    {
        var (entries, more) = _names.List(request.Base, request.Path, request.After, request.Limit);
        var reply = new ListDirectoryReply();
        var bytes = 0;
        for (var i = 0; i < entries.Count; i++)
        {
            var info = entries[i].View.ToFileInfo();
            var size = CodedOutputStream.ComputeMessageSize(info) + 1;
            if (i > 0 && bytes + size > MaxPageBytes)
            {
                // The cursor is the last name sent, so the next page starts at this entry.
                more = true;
                break;
            }

            bytes += size;
            reply.Entries.Add(info);
        }

        reply.More = more;
        return Task.FromResult(reply);
    }

    public override async Task<RenameReply> Rename(RenameRequest request, ServerCallContext context)
    {
        var (moved, replaced) = await _names.RenameAsync(request.FromBase, request.From, request.ToBase, request.To, request.NoReplace,
            ActorOf(context), context.CancellationToken).ConfigureAwait(false);
        var reply = new RenameReply { Node = moved.ToFileInfo() };
        if (replaced is { } gone)
        {
            reply.Replaced = gone.ToFileInfo();
        }

        return reply;
    }

    public override async Task<RemoveReply> Unlink(UnlinkRequest request, ServerCallContext context)
    {
        // No lock wait: the name goes now; an open file lives on (see Namespace.Orphans.cs).
        var before = await _names.UnlinkAsync(request.Base, request.Path, ActorOf(context), context.CancellationToken).ConfigureAwait(false);
        return new RemoveReply { Node = before.ToFileInfo() };
    }

    public override async Task<NodeReply> Link(LinkRequest request, ServerCallContext context)
    {
        var view = await _names.LinkAsync(request.ExistingBase, request.Existing, request.Base, request.Path, ActorOf(context), context.CancellationToken)
            .ConfigureAwait(false);
        return new NodeReply { Node = view.ToFileInfo() };
    }

    public override async Task<NodeReply> Symlink(SymlinkRequest request, ServerCallContext context)
    {
        var view = await _names.SymlinkAsync(request.Base, request.Path, request.Target, request.Uid, request.Gid, ActorOf(context), context.CancellationToken)
            .ConfigureAwait(false);
        return new NodeReply { Node = view.ToFileInfo() };
    }

    public override async Task<NodeReply> SetAttributes(SetAttributesRequest request, ServerCallContext context)
    {
        var changes = new AttributeChanges(
            request.HasMode ? request.Mode : null,
            request.HasUid ? request.Uid : null,
            request.HasGid ? request.Gid : null,
            request.HasAccessedUnixMs ? Time(request.AccessedUnixMs, "accessed") : null,
            request.HasModifiedUnixMs ? Time(request.ModifiedUnixMs, "modified") : null,
            request.AccessedNow,
            request.ModifiedNow);
        var view = await _names.SetAttributesAsync(request.Base, request.Path, changes, ActorOf(context), context.CancellationToken).ConfigureAwait(false);
        return new NodeReply { Node = view.ToFileInfo() };
    }

    private static DateTimeOffset Time(long unixMs, string what)
    {
        // DateTimeOffset's range: years 1 to 9999.
        const long Min = -62_135_596_800_000;
        const long Max = 253_402_300_799_999;
        return unixMs is >= Min and <= Max
            ? DateTimeOffset.FromUnixTimeMilliseconds(unixMs)
            : throw Errors.MetaException.InvalidArgument($"{what} time {unixMs} ms is outside years 1 to 9999");
    }
}
