using System.Runtime.InteropServices;
using System.Text;
using Pfs.Fuse.Protocol;

namespace Pfs.Fuse.Session;

internal sealed partial class FuseSession
{
    /// <summary>FUSE_NOTIFY_INVAL_INODE: answers 0, or the errno the kernel gave (ENOENT when it does not hold the inode).</summary>
    public int NotifyInvalidateInode(ulong nodeId, long offset, long length)
    {
        var body = new NotifyInvalInodeOut { Ino = nodeId, Off = offset, Len = length };
        return Notify(FuseNotifyCode.InvalInode, MemoryMarshal.AsBytes(new ReadOnlySpan<NotifyInvalInodeOut>(in body)), null);
    }

    /// <summary>FUSE_NOTIFY_INVAL_ENTRY: the kernel forgets the name (and the negative entry, if that is what it holds).</summary>
    public int NotifyInvalidateEntry(ulong parent, string name)
    {
        var nameBytes = Encoding.UTF8.GetBytes(name);
        var body = new NotifyInvalEntryOut { Parent = parent, NameLen = (uint)nameBytes.Length };
        return Notify(FuseNotifyCode.InvalEntry, MemoryMarshal.AsBytes(new ReadOnlySpan<NotifyInvalEntryOut>(in body)), nameBytes);
    }

    /// <summary>FUSE_NOTIFY_DELETE: the name is gone; the kernel also drops the child's dentry if it matches.</summary>
    public int NotifyDelete(ulong parent, ulong child, string name)
    {
        var nameBytes = Encoding.UTF8.GetBytes(name);
        var body = new NotifyDeleteOut { Parent = parent, Child = child, NameLen = (uint)nameBytes.Length };
        return Notify(FuseNotifyCode.Delete, MemoryMarshal.AsBytes(new ReadOnlySpan<NotifyDeleteOut>(in body)), nameBytes);
    }

    private int Notify(FuseNotifyCode code, ReadOnlySpan<byte> body, byte[]? name)
    {
        if (_completion.Task.IsCompleted || Kernel is null)
            return Errno.ENODEV;
        var length = OutHeader.WireSize + body.Length + (name is null ? 0 : name.Length + 1);
        var message = new byte[length];
        // A notification is an out header with unique 0 and the notify code where the error goes.
        var header = new OutHeader { Len = (uint)length, Error = (int)code, Unique = 0 };
        MemoryMarshal.Write(message, in header);
        body.CopyTo(message.AsSpan(OutHeader.WireSize));
        name?.CopyTo(message.AsSpan(OutHeader.WireSize + body.Length));
        try
        {
            return _channel.Write(message);
        }
        catch (ObjectDisposedException)
        {
            return Errno.ENODEV;
        }
    }
}
