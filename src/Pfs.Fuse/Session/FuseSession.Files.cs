using Pfs.Fuse.Protocol;

namespace Pfs.Fuse.Session;

internal sealed partial class FuseSession
{
    private ValueTask Open(FuseRequest request)
    {
        var input = request.Read<OpenIn>();
        return Complete(request, _fs.OpenAsync(request.Context, request.NodeId, (int)input.Flags), ReplyOpen);
    }

    private ValueTask Create(FuseRequest request)
    {
        var input = request.Read<CreateIn>();
        var name = request.ReadName(SizeOf<CreateIn>());
        return Complete(request, _fs.CreateAsync(request.Context, request.NodeId, name, input.Mode, input.Umask, (int)input.Flags),
            static (session, request, created) =>
            {
                Span<byte> payload = stackalloc byte[EntryOut.WireSize + OpenOut.WireSize];
                var entry = FuseReplies.ToEntryOut(created.Entry);
                var open = new OpenOut { Fh = created.Handle, OpenFlags = (uint)created.Flags };
                System.Runtime.InteropServices.MemoryMarshal.Write(payload, in entry);
                System.Runtime.InteropServices.MemoryMarshal.Write(payload[EntryOut.WireSize..], in open);
                session.Send(request, 0, payload);
            });
    }

    private ValueTask Read(FuseRequest request)
    {
        var input = request.Read<ReadIn>();
        var size = (int)Math.Min(input.Size, (uint)_options.MaxWrite);
        // The handler reads straight into the reply buffer, behind the room for the out header.
        var buffer = RentReplyPayload(request, size);
        return Complete(request, _fs.ReadAsync(request.Context, request.NodeId, input.Fh, (long)input.Offset, buffer),
            static (session, request, read) => session.ReplyPrepared(request, read));
    }

    private ValueTask Write(FuseRequest request)
    {
        var input = request.Read<WriteIn>();
        var data = request.PayloadMemory[SizeOf<WriteIn>()..];
        if (data.Length < input.Size)
            throw new FuseException(Errno.EINVAL, $"WRITE of {input.Size} bytes carries {data.Length}");
        data = data[..(int)input.Size];
        return Complete(request, _fs.WriteAsync(request.Context, request.NodeId, input.Fh, (long)input.Offset, data, (FuseWriteFlags)input.WriteFlags),
            static (session, request, written) => session.ReplyStruct(request, new WriteOut { Size = (uint)written }));
    }

    private ValueTask Flush(FuseRequest request)
    {
        var input = request.Read<FlushIn>();
        return CompleteEmpty(request, _fs.FlushAsync(request.Context, request.NodeId, input.Fh, input.LockOwner));
    }

    private ValueTask Release(FuseRequest request, bool directory)
    {
        var input = request.Read<ReleaseIn>();
        if (directory)
        {
            return _overridesReleaseDir
                ? CompleteEmpty(request, _fs.ReleaseDirAsync(request.Context, request.NodeId, input.Fh))
                : CompleteEmpty(request, default);
        }
        return _overridesRelease
            ? CompleteEmpty(request, _fs.ReleaseAsync(request.Context, request.NodeId, input.Fh, (int)input.Flags))
            : CompleteEmpty(request, default);
    }

    private ValueTask Fsync(FuseRequest request, bool directory)
    {
        var input = request.Read<FsyncIn>();
        var dataOnly = (input.FsyncFlags & FsyncIn.FlagDataSync) != 0;
        return CompleteEmpty(request, directory
            ? _fs.FsyncDirAsync(request.Context, request.NodeId, input.Fh, dataOnly)
            : _fs.FsyncAsync(request.Context, request.NodeId, input.Fh, dataOnly));
    }

    private ValueTask Fallocate(FuseRequest request)
    {
        var input = request.Read<FallocateIn>();
        return CompleteEmpty(request, _fs.FallocateAsync(request.Context, request.NodeId, input.Fh, (long)input.Offset, (long)input.Length, (int)input.Mode));
    }

    private ValueTask Lseek(FuseRequest request)
    {
        var input = request.Read<LseekIn>();
        return Complete(request, _fs.LseekAsync(request.Context, request.NodeId, input.Fh, (long)input.Offset, (int)input.Whence),
            static (session, request, offset) => session.ReplyStruct(request, new LseekOut { Offset = (ulong)offset }));
    }
}
