using System.Reflection;
using Pfs.Fuse.Protocol;

namespace Pfs.Fuse.Session;

internal sealed partial class FuseSession
{
    /// <summary>Parses the request, calls its handler, and answers; the returned task ends with the answer sent.</summary>
    private ValueTask Handle(FuseRequest request) => request.Opcode switch
    {
        FuseOpcode.Lookup => Lookup(request),
        FuseOpcode.GetAttr => GetAttr(request),
        FuseOpcode.SetAttr => SetAttr(request),
        FuseOpcode.ReadLink => ReadLink(request),
        FuseOpcode.Symlink => Symlink(request),
        FuseOpcode.Mknod => Mknod(request),
        FuseOpcode.Mkdir => Mkdir(request),
        FuseOpcode.Unlink => Unlink(request),
        FuseOpcode.Rmdir => Rmdir(request),
        FuseOpcode.Rename => Rename(request, rename2: false),
        FuseOpcode.Rename2 => Rename(request, rename2: true),
        FuseOpcode.Link => Link(request),
        FuseOpcode.StatFs => StatFs(request),
        FuseOpcode.Access => Access(request),
        FuseOpcode.GetXattr => GetXattr(request),
        FuseOpcode.ListXattr => ListXattr(request),
        FuseOpcode.Open => Open(request),
        FuseOpcode.Create => Create(request),
        FuseOpcode.Read => Read(request),
        FuseOpcode.Write => Write(request),
        FuseOpcode.Flush => Flush(request),
        FuseOpcode.Release => Release(request, directory: false),
        FuseOpcode.Fsync => Fsync(request, directory: false),
        FuseOpcode.GetLk => GetLk(request),
        FuseOpcode.SetLk => SetLk(request, wait: false),
        FuseOpcode.SetLkW => SetLk(request, wait: true),
        FuseOpcode.Fallocate => Fallocate(request),
        FuseOpcode.Lseek => Lseek(request),
        FuseOpcode.OpenDir => OpenDir(request),
        FuseOpcode.ReadDir => ReadDir(request, plus: false),
        FuseOpcode.ReadDirPlus => ReadDir(request, plus: true),
        FuseOpcode.ReleaseDir => Release(request, directory: true),
        FuseOpcode.FsyncDir => Fsync(request, directory: true),
        _ => throw new FuseException(Errno.ENOSYS),
    };

    /// <summary>Answers with <paramref name="reply"/> once the handler's result is there, without a state machine when it already is.</summary>
    private ValueTask Complete<T>(FuseRequest request, ValueTask<T> result, Action<FuseSession, FuseRequest, T> reply)
    {
        if (result.IsCompletedSuccessfully)
        {
            reply(this, request, result.Result);
            return default;
        }
        return Awaited(this, request, result, reply);

        static async ValueTask Awaited(FuseSession session, FuseRequest request, ValueTask<T> result, Action<FuseSession, FuseRequest, T> reply) =>
            reply(session, request, await result.ConfigureAwait(false));
    }

    /// <summary>Answers with an empty success once the handler is done.</summary>
    private ValueTask CompleteEmpty(FuseRequest request, ValueTask result)
    {
        if (result.IsCompletedSuccessfully)
        {
            ReplyEmpty(request);
            return default;
        }
        return Awaited(this, request, result);

        static async ValueTask Awaited(FuseSession session, FuseRequest request, ValueTask result)
        {
            await result.ConfigureAwait(false);
            session.ReplyEmpty(request);
        }
    }

    private static readonly Action<FuseSession, FuseRequest, FuseEntry> ReplyEntry =
        static (session, request, entry) => session.ReplyStruct(request, FuseReplies.ToEntryOut(entry));

    private static readonly Action<FuseSession, FuseRequest, FuseAttrReply> ReplyAttr =
        static (session, request, attr) => session.ReplyStruct(request, FuseReplies.ToAttrOut(attr));

    private static readonly Action<FuseSession, FuseRequest, FuseOpenResult> ReplyOpen =
        static (session, request, open) => session.ReplyStruct(request, new OpenOut { Fh = open.Handle, OpenFlags = (uint)open.Flags });

    /// <summary>
    /// The operations a file system overrides. The others are answered ENOSYS without a call (and
    /// without an exception per request), the way go-fuse remembers what a file system lacks.
    /// </summary>
    private static bool[] FindImplemented(FuseFileSystem fs)
    {
        var implemented = new bool[(int)FuseOpcode.Count];
        void Mark(FuseOpcode opcode, string method) => implemented[(int)opcode] = Overrides(fs, method);

        Mark(FuseOpcode.Lookup, nameof(FuseFileSystem.LookupAsync));
        Mark(FuseOpcode.GetAttr, nameof(FuseFileSystem.GetAttrAsync));
        Mark(FuseOpcode.SetAttr, nameof(FuseFileSystem.SetAttrAsync));
        Mark(FuseOpcode.ReadLink, nameof(FuseFileSystem.ReadLinkAsync));
        Mark(FuseOpcode.Symlink, nameof(FuseFileSystem.SymlinkAsync));
        Mark(FuseOpcode.Mknod, nameof(FuseFileSystem.MknodAsync));
        Mark(FuseOpcode.Mkdir, nameof(FuseFileSystem.MkdirAsync));
        Mark(FuseOpcode.Unlink, nameof(FuseFileSystem.UnlinkAsync));
        Mark(FuseOpcode.Rmdir, nameof(FuseFileSystem.RmdirAsync));
        Mark(FuseOpcode.Rename, nameof(FuseFileSystem.RenameAsync));
        Mark(FuseOpcode.Rename2, nameof(FuseFileSystem.RenameAsync));
        Mark(FuseOpcode.Link, nameof(FuseFileSystem.LinkAsync));
        Mark(FuseOpcode.Access, nameof(FuseFileSystem.AccessAsync));
        Mark(FuseOpcode.GetXattr, nameof(FuseFileSystem.GetXattrAsync));
        Mark(FuseOpcode.ListXattr, nameof(FuseFileSystem.ListXattrAsync));
        Mark(FuseOpcode.Open, nameof(FuseFileSystem.OpenAsync));
        Mark(FuseOpcode.Create, nameof(FuseFileSystem.CreateAsync));
        Mark(FuseOpcode.Read, nameof(FuseFileSystem.ReadAsync));
        Mark(FuseOpcode.Write, nameof(FuseFileSystem.WriteAsync));
        Mark(FuseOpcode.Flush, nameof(FuseFileSystem.FlushAsync));
        Mark(FuseOpcode.Fsync, nameof(FuseFileSystem.FsyncAsync));
        Mark(FuseOpcode.GetLk, nameof(FuseFileSystem.GetLockAsync));
        Mark(FuseOpcode.SetLk, nameof(FuseFileSystem.SetLockAsync));
        Mark(FuseOpcode.SetLkW, nameof(FuseFileSystem.SetLockAsync));
        Mark(FuseOpcode.Fallocate, nameof(FuseFileSystem.FallocateAsync));
        Mark(FuseOpcode.Lseek, nameof(FuseFileSystem.LseekAsync));
        Mark(FuseOpcode.OpenDir, nameof(FuseFileSystem.OpenDirAsync));
        Mark(FuseOpcode.ReadDir, nameof(FuseFileSystem.ReadDirAsync));
        Mark(FuseOpcode.ReadDirPlus, nameof(FuseFileSystem.ReadDirPlusAsync));
        Mark(FuseOpcode.FsyncDir, nameof(FuseFileSystem.FsyncDirAsync));

        // Always answered: the default STATFS describes an empty file system, and an unimplemented
        // RELEASE or RELEASEDIR is a success (there is nothing to let go of).
        implemented[(int)FuseOpcode.StatFs] = true;
        implemented[(int)FuseOpcode.Release] = true;
        implemented[(int)FuseOpcode.ReleaseDir] = true;
        return implemented;
    }

    private static bool Overrides(FuseFileSystem fs, string method) =>
        fs.GetType().GetMethod(method, BindingFlags.Public | BindingFlags.Instance)?.DeclaringType != typeof(FuseFileSystem);
}
