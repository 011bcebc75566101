using Pfs.Fuse.Protocol;

namespace Pfs.Fuse.Session;

internal sealed partial class FuseSession
{
    private ValueTask OpenDir(FuseRequest request)
    {
        var input = request.Read<OpenIn>();
        return Complete(request, _fs.OpenDirAsync(request.Context, request.NodeId, (int)input.Flags), ReplyOpen);
    }

    private ValueTask ReadDir(FuseRequest request, bool plus)
    {
        var input = request.Read<ReadIn>();
        var size = (int)Math.Min(input.Size, (uint)_options.MaxWrite);
        var buffer = RentReplyPayload(request, size);
        var reply = request.ReplyBuffer!;
        if (plus)
        {
            var writer = new FuseDirectoryPlusWriter(reply, OutHeader.WireSize, buffer.Length);
            return CompleteEmptyWith(request, _fs.ReadDirPlusAsync(request.Context, request.NodeId, input.Fh, (long)input.Offset, writer), () => writer.Length);
        }
        else
        {
            var writer = new FuseDirectoryWriter(reply, OutHeader.WireSize, buffer.Length);
            return CompleteEmptyWith(request, _fs.ReadDirAsync(request.Context, request.NodeId, input.Fh, (long)input.Offset, writer), () => writer.Length);
        }
    }

    /// <summary>Answers with the prepared reply buffer once the handler is done filling it.</summary>
    private ValueTask CompleteEmptyWith(FuseRequest request, ValueTask result, Func<int> length)
    {
        if (result.IsCompletedSuccessfully)
        {
            ReplyPrepared(request, length());
            return default;
        }
        return Awaited(this, request, result, length);

        static async ValueTask Awaited(FuseSession session, FuseRequest request, ValueTask result, Func<int> length)
        {
            await result.ConfigureAwait(false);
            session.ReplyPrepared(request, length());
        }
    }
}
