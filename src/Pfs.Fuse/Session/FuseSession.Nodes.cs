using System.Text;
using Pfs.Fuse.Protocol;

namespace Pfs.Fuse.Session;

internal sealed partial class FuseSession
{
    private ValueTask Lookup(FuseRequest request) =>
        Complete(request, _fs.LookupAsync(request.Context, request.NodeId, request.ReadName(0)), ReplyEntry);

    private ValueTask GetAttr(FuseRequest request)
    {
        var input = request.Read<GetAttrIn>();
        ulong? handle = (input.GetAttrFlags & GetAttrIn.FlagFh) != 0 ? input.Fh : null;
        return Complete(request, _fs.GetAttrAsync(request.Context, request.NodeId, handle), ReplyAttr);
    }

    private ValueTask SetAttr(FuseRequest request)
    {
        var input = request.Read<SetAttrIn>();
        return Complete(request, _fs.SetAttrAsync(request.Context, request.NodeId, new FuseSetAttr(input)), ReplyAttr);
    }

    private ValueTask ReadLink(FuseRequest request) =>
        Complete(request, _fs.ReadLinkAsync(request.Context, request.NodeId),
            static (session, request, target) => session.Send(request, 0, Encoding.UTF8.GetBytes(target)));

    private ValueTask Symlink(FuseRequest request)
    {
        // The link name comes first, then the target.
        var name = request.ReadName(0, out var next);
        var target = request.ReadName(next);
        return Complete(request, _fs.SymlinkAsync(request.Context, request.NodeId, name, target), ReplyEntry);
    }

    private ValueTask Mknod(FuseRequest request)
    {
        var input = request.Read<MknodIn>();
        var name = request.ReadName(SizeOf<MknodIn>());
        return Complete(request, _fs.MknodAsync(request.Context, request.NodeId, name, input.Mode, input.Rdev, input.Umask), ReplyEntry);
    }

    private ValueTask Mkdir(FuseRequest request)
    {
        var input = request.Read<MkdirIn>();
        var name = request.ReadName(SizeOf<MkdirIn>());
        return Complete(request, _fs.MkdirAsync(request.Context, request.NodeId, name, input.Mode, input.Umask), ReplyEntry);
    }

    private ValueTask Unlink(FuseRequest request) =>
        CompleteEmpty(request, _fs.UnlinkAsync(request.Context, request.NodeId, request.ReadName(0)));

    private ValueTask Rmdir(FuseRequest request) =>
        CompleteEmpty(request, _fs.RmdirAsync(request.Context, request.NodeId, request.ReadName(0)));

    private ValueTask Rename(FuseRequest request, bool rename2)
    {
        ulong newParent;
        FuseRenameFlags flags;
        int namesAt;
        if (rename2)
        {
            var input = request.Read<Rename2In>();
            (newParent, flags, namesAt) = (input.NewDir, (FuseRenameFlags)input.Flags, SizeOf<Rename2In>());
        }
        else
        {
            var input = request.Read<RenameIn>();
            (newParent, flags, namesAt) = (input.NewDir, FuseRenameFlags.None, SizeOf<RenameIn>());
        }
        var name = request.ReadName(namesAt, out var next);
        var newName = request.ReadName(next);
        return CompleteEmpty(request, _fs.RenameAsync(request.Context, request.NodeId, name, newParent, newName, flags));
    }

    private ValueTask Link(FuseRequest request)
    {
        var input = request.Read<LinkIn>();
        var newName = request.ReadName(SizeOf<LinkIn>());
        // The request's node is the new parent; the node to link is in the argument.
        return Complete(request, _fs.LinkAsync(request.Context, input.OldNodeId, request.NodeId, newName), ReplyEntry);
    }

    private ValueTask StatFs(FuseRequest request) =>
        Complete(request, _fs.StatFsAsync(request.Context, request.NodeId),
            static (session, request, statFs) => session.ReplyStruct(request, FuseReplies.ToStatFsOut(statFs)));

    private ValueTask Access(FuseRequest request)
    {
        var input = request.Read<AccessIn>();
        return CompleteEmpty(request, _fs.AccessAsync(request.Context, request.NodeId, (int)input.Mask));
    }

    private ValueTask GetXattr(FuseRequest request)
    {
        var input = request.Read<GetXattrIn>();
        var name = request.ReadName(SizeOf<GetXattrIn>());
        return Complete(request, _fs.GetXattrAsync(request.Context, request.NodeId, name),
            (session, request, value) => session.ReplySized(request, input.Size, value.Span));
    }

    private ValueTask ListXattr(FuseRequest request)
    {
        var input = request.Read<GetXattrIn>();
        return Complete(request, _fs.ListXattrAsync(request.Context, request.NodeId),
            (session, request, names) =>
            {
                // The names, each followed by a NUL.
                var bytes = new List<byte>();
                foreach (var name in names)
                {
                    bytes.AddRange(Encoding.UTF8.GetBytes(name));
                    bytes.Add(0);
                }
                session.ReplySized(request, input.Size, bytes.ToArray());
            });
    }

    /// <summary>The xattr convention: size 0 asks for the length, a buffer too small is ERANGE.</summary>
    private void ReplySized(FuseRequest request, uint size, ReadOnlySpan<byte> value)
    {
        if (size == 0)
            ReplyStruct(request, new GetXattrOut { Size = (uint)value.Length });
        else if (value.Length > size)
            ReplyError(request, Errno.ERANGE);
        else
            Send(request, 0, value);
    }
}
