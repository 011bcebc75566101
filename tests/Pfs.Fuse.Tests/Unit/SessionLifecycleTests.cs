using Pfs.Fuse.Protocol;

namespace Pfs.Fuse.Tests.Unit;

/// <summary>Errors, requests without answers, interrupts, notifications and the end of a session.</summary>
public sealed class SessionLifecycleTests : SessionHarness
{
    [Fact]
    public void ErrorsAreAnsweredWithTheNegativeErrno()
    {
        Start(new RecordingFileSystem());

        Channel.Push(Requests.Build(FuseOpcode.Lookup, 11, 1, Requests.Name("missing")));
        Channel.Push(Requests.Build(FuseOpcode.Mknod, 12, 1, Requests.Struct(new MknodIn { Mode = FuseMode.Regular }), Requests.Name("n")));
        var replies = new[] { Channel.NextReply(), Channel.NextReply() }.ToDictionary(r => r.Header.Unique);
        Channel.Push(Requests.Build(FuseOpcode.Lookup, 13, 1, Requests.Name("broken")));
        var broken = Channel.NextReply();
        Channel.Push(Requests.Build((FuseOpcode)4000, 14, 1));
        var unknown = Channel.NextReply();

        Assert.Equal(-Errno.ENOENT, replies[11].Header.Error);
        Assert.Equal((uint)OutHeader.WireSize, replies[11].Header.Len);
        Assert.Equal(-Errno.ENOSYS, replies[12].Header.Error);
        Assert.Equal(-Errno.EIO, broken.Header.Error);
        Assert.Equal(-Errno.ENOSYS, unknown.Header.Error);
    }

    [Fact]
    public void ForgetAndBatchForgetGetNoAnswer()
    {
        var fs = new RecordingFileSystem();
        // One reader: the requests are handled in the order they were read.
        Start(fs, new FuseMountOptions { ReaderThreads = 1 });

        Channel.Push(Requests.Build(FuseOpcode.Forget, 20, 42, Requests.Struct(new ForgetIn { NLookup = 3 })));
        Channel.Push(Requests.Build(FuseOpcode.BatchForget, 21, 0,
            Requests.Struct(new BatchForgetIn { Count = 2 }),
            Requests.Struct(new ForgetOne { NodeId = 50, NLookup = 1 }),
            Requests.Struct(new ForgetOne { NodeId = 51, NLookup = 7 })));
        // A request that is answered, after the forgets on the same reader: its answer is the first message.
        Channel.Push(Requests.Build(FuseOpcode.GetAttr, 22, 42, Requests.Struct(new GetAttrIn())));
        var reply = Channel.NextReply();

        Assert.Equal(22ul, reply.Header.Unique);
        Assert.Equal([(42ul, 3ul), (50ul, 1ul), (51ul, 7ul)], fs.Forgets.OrderBy(f => f.NodeId).ToArray());
    }

    [Fact]
    public async Task InterruptCancelsTheHandlerAndTheAnswerIsEintr()
    {
        var fs = new RecordingFileSystem { BlockReads = true };
        Start(fs);

        Channel.Push(Requests.Build(FuseOpcode.Read, 90, 42, Requests.Struct(new ReadIn { Fh = 5, Size = 4096 })));
        await fs.ReadStarted.Task.WaitAsync(Timeout);
        Assert.False(Channel.HasMessage);
        // The kernel's INTERRUPT has its own unique (with FUSE_INT_REQ_BIT) and names the victim.
        Channel.Push(Requests.Build(FuseOpcode.Interrupt, 90 | 1, 0, Requests.Struct(new InterruptIn { Unique = 90 })));
        var reply = Channel.NextReply();

        await fs.ReadCancelled.Task.WaitAsync(Timeout);
        Assert.Equal(90ul, reply.Header.Unique);
        Assert.Equal(-Errno.EINTR, reply.Header.Error);
    }

    [Fact]
    public void InterruptOfARequestNotInFlightAsksTheKernelToRetry()
    {
        Start(new RecordingFileSystem());

        Channel.Push(Requests.Build(FuseOpcode.Interrupt, 97, 0, Requests.Struct(new InterruptIn { Unique = 96 })));
        var reply = Channel.NextReply();

        Assert.Equal(97ul, reply.Header.Unique);
        Assert.Equal(-Errno.EAGAIN, reply.Header.Error);
    }

    [Fact]
    public void NotificationsCarryUniqueZeroAndTheCodeInTheErrorField()
    {
        var session = Start(new RecordingFileSystem());

        Assert.Equal(0, session.NotifyInvalidateInode(42, 4096, 8192));
        var inode = Channel.NextReply();
        Assert.Equal(0, session.NotifyInvalidateEntry(1, "name"));
        var entry = Channel.NextReply();
        Assert.Equal(0, session.NotifyDelete(1, 42, "gone"));
        var delete = Channel.NextReply();
        Channel.WriteResult = Errno.ENOENT;
        Assert.Equal(Errno.ENOENT, session.NotifyInvalidateInode(77, 0, 0));

        Assert.Equal((0ul, (int)FuseNotifyCode.InvalInode, 40u), (inode.Header.Unique, inode.Header.Error, inode.Header.Len));
        var inval = inode.Read<NotifyInvalInodeOut>();
        Assert.Equal((42ul, 4096L, 8192L), (inval.Ino, inval.Off, inval.Len));
        Assert.Equal((int)FuseNotifyCode.InvalEntry, entry.Header.Error);
        Assert.Equal(4u, entry.Read<NotifyInvalEntryOut>().NameLen);
        Assert.Equal("name\0"u8.ToArray(), entry.Payload[16..].ToArray());
        Assert.Equal((int)FuseNotifyCode.Delete, delete.Header.Error);
        Assert.Equal(42ul, delete.Read<NotifyDeleteOut>().Child);
        Assert.Equal("gone\0"u8.ToArray(), delete.Payload[24..].ToArray());
    }

    [Fact]
    public async Task TheSessionEndsWhenTheDeviceAnswersEnodevAndCancelsWhatIsInFlight()
    {
        var fs = new RecordingFileSystem { BlockReads = true };
        var session = Start(fs);
        Channel.Push(Requests.Build(FuseOpcode.Read, 130, 42, Requests.Struct(new ReadIn { Fh = 5, Size = 4096 })));
        await fs.ReadStarted.Task.WaitAsync(Timeout);

        Channel.Close();
        await session.Completion.WaitAsync(Timeout);

        await fs.ReadCancelled.Task.WaitAsync(Timeout);
        Assert.True(fs.Destroyed);
        Assert.True(Channel.Disposed);
        Assert.Equal(-Errno.EINTR, Channel.NextReply().Header.Error);
        Assert.NotEqual(0, session.NotifyInvalidateInode(42, 0, 0));
    }
}
