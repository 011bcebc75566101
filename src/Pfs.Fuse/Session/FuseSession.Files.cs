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
        if ((input.ReleaseFlags & ReleaseIn.FlagFlockUnlock) != 0 && _implemented[(int)FuseOpcode.SetLk])
        {
            // The open file's flock locks go with it, before it does.
            return CompleteEmpty(request, ReleaseWithFlocksAsync(request, input));
        }

        return _overridesRelease
            ? CompleteEmpty(request, _fs.ReleaseAsync(request.Context, request.NodeId, input.Fh, (int)input.Flags))
            : CompleteEmpty(request, default);
    }

    private async ValueTask ReleaseWithFlocksAsync(FuseRequest request, ReleaseIn input)
    {
        try
        {
            await _fs.SetLockAsync(request.Context, request.NodeId, input.Fh, input.LockOwner,
                new FuseLock(0, FuseLock.ToEndOfFile, FuseLockType.Unlock, 0), flock: true, wait: false).ConfigureAwait(false);
        }
        finally
        {
            if (_overridesRelease)
                await _fs.ReleaseAsync(request.Context, request.NodeId, input.Fh, (int)input.Flags).ConfigureAwait(false);
        }
    }

    private ValueTask GetLk(FuseRequest request)
    {
        var input = request.Read<LkIn>();
        var requested = new FuseLock(input.Lock.Start, input.Lock.End, (FuseLockType)input.Lock.Type, input.Lock.Pid);
        return Complete(request, _fs.GetLockAsync(request.Context, request.NodeId, input.Fh, input.Owner, requested, (input.LkFlags & LkIn.FlagFlock) != 0),
            static (session, request, found) => session.ReplyStruct(request, new LkOut
            {
                // The kernel refuses (EIO) an answer that ends past OFFSET_MAX.
                Lock = new FileLock
                {
                    Start = Math.Min(found.Start, FuseLock.ToEndOfFile),
                    End = Math.Min(found.End, FuseLock.ToEndOfFile),
                    Type = (uint)found.Type,
                    Pid = found.Pid,
                },
            }));
    }

    private ValueTask SetLk(FuseRequest request, bool wait)
    {
        var input = request.Read<LkIn>();
        var requested = new FuseLock(input.Lock.Start, input.Lock.End, (FuseLockType)input.Lock.Type, input.Lock.Pid);
        return CompleteEmpty(request, _fs.SetLockAsync(request.Context, request.NodeId, input.Fh, input.Owner, requested, (input.LkFlags & LkIn.FlagFlock) != 0, wait));
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
