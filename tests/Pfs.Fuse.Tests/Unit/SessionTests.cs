using System.Runtime.InteropServices;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Pfs.Fuse.Protocol;
using Pfs.Fuse.Session;

namespace Pfs.Fuse.Tests.Unit;

/// <summary>The request loop driven by kernel-shaped byte arrays through an in-memory channel.</summary>
public sealed class SessionTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private readonly FakeChannel _channel = new();
    private FuseSession? _session;

    public void Dispose() => _channel.Close();

    private FuseSession Start(FuseFileSystem fs, FuseMountOptions? options = null, bool init = true)
    {
        _session = new FuseSession(fs, _channel, options ?? new FuseMountOptions { ReaderThreads = 2 }, NullLogger.Instance);
        _session.Start();
        if (init)
        {
            _channel.Push(Requests.Init());
            Assert.Equal(0, _channel.NextReply().Header.Error);
        }
        return _session;
    }

    [Fact]
    public async Task InitSettlesTheNewestCommonMinorAndOneMebibyteRequests()
    {
        var session = Start(new RecordingFileSystem(), init: false);

        _channel.Push(Requests.Init(unique: 5, minor: 45));
        var reply = _channel.NextReply();

        Assert.Equal(5ul, reply.Header.Unique);
        Assert.Equal(0, reply.Header.Error);
        Assert.Equal((uint)(OutHeader.WireSize + InitOut.WireSize), reply.Header.Len);
        var init = reply.Read<InitOut>();
        Assert.Equal(7u, init.Major);
        Assert.Equal(45u, init.Minor);
        Assert.Equal(1u << 20, init.MaxWrite);
        Assert.Equal(256, init.MaxPages);
        Assert.Equal(128u * 1024, init.MaxReadahead);
        Assert.Equal(1u, init.TimeGran);
        var flags = (FuseInitFlags)init.Flags;
        foreach (var wanted in new[] { FuseInitFlags.AsyncRead, FuseInitFlags.BigWrites, FuseInitFlags.MaxPages, FuseInitFlags.ParallelDirOps, FuseInitFlags.AtomicOTrunc, FuseInitFlags.ExplicitInvalData })
            Assert.True(flags.HasFlag(wanted), $"{wanted} not granted");
        foreach (var unwanted in new[] { FuseInitFlags.PosixLocks, FuseInitFlags.FlockLocks, FuseInitFlags.ExportSupport, FuseInitFlags.WritebackCache, FuseInitFlags.AutoInvalData, FuseInitFlags.DoReadDirPlus })
            Assert.False(flags.HasFlag(unwanted), $"{unwanted} granted");

        var kernel = await session.Initialized.WaitAsync(Timeout);
        Assert.Equal(45u, kernel.Minor);
        Assert.Equal(256, kernel.MaxPages);
    }

    [Fact]
    public void InitFromANewerKernelAnswersWithTheBindingsNewestMinor()
    {
        Start(new RecordingFileSystem(), init: false);

        _channel.Push(Requests.Init(minor: 52));

        Assert.Equal(FuseSession.MaxMinor, _channel.NextReply().Read<InitOut>().Minor);
    }

    [Fact]
    public void InitGrantsOnlyWhatTheKernelOffersAndWhatTheOptionsAsk()
    {
        var options = new FuseMountOptions { ReaderThreads = 1, WritebackCache = true, ReadDirPlus = true, DataInvalidation = FuseDataInvalidation.Auto, AsyncRead = false };
        Start(new RecordingFileSystem(), options, init: false);

        _channel.Push(Requests.Init(offered: Requests.KernelOffers & ~FuseInitFlags.WritebackCache));
        var flags = (FuseInitFlags)_channel.NextReply().Read<InitOut>().Flags;

        Assert.False(flags.HasFlag(FuseInitFlags.WritebackCache));
        Assert.True(flags.HasFlag(FuseInitFlags.DoReadDirPlus));
        Assert.True(flags.HasFlag(FuseInitFlags.AutoInvalData));
        Assert.False(flags.HasFlag(FuseInitFlags.ExplicitInvalData));
        Assert.False(flags.HasFlag(FuseInitFlags.AsyncRead));
    }

    [Fact]
    public async Task InitFromAKernelTooOldIsRefused()
    {
        var session = Start(new RecordingFileSystem(), init: false);

        _channel.Push(Requests.Init(minor: 27));

        Assert.Equal(-Errno.EPROTO, _channel.NextReply().Header.Error);
        await Assert.ThrowsAsync<FuseMountException>(() => session.Initialized.WaitAsync(Timeout));
    }

    [Fact]
    public void InitFromANewerMajorAnswersOurMajorAndWaitsForTheNextInit()
    {
        var session = Start(new RecordingFileSystem(), init: false);

        _channel.Push(Requests.Init(unique: 1, major: 8));
        var first = _channel.NextReply().Read<InitOut>();
        _channel.Push(Requests.Init(unique: 2, minor: 40));
        var second = _channel.NextReply().Read<InitOut>();

        Assert.Equal(7u, first.Major);
        Assert.Equal(0u, first.MaxWrite);
        Assert.Equal(40u, second.Minor);
        Assert.Equal(1u << 20, second.MaxWrite);
    }

    [Fact]
    public void LookupIsParsedAndAnsweredWithAnEntry()
    {
        var fs = new RecordingFileSystem();
        Start(fs);

        _channel.Push(Requests.Build(FuseOpcode.Lookup, 10, 1, Requests.Name("héllo.txt")));
        var reply = _channel.NextReply();

        Assert.Equal("lookup 1 héllo.txt", Assert.Single(fs.Calls));
        Assert.Equal((Requests.Uid, Requests.Gid, Requests.Pid, 10ul), (fs.LastContext.Uid, fs.LastContext.Gid, fs.LastContext.Pid, fs.LastContext.Unique));
        Assert.Equal(10ul, reply.Header.Unique);
        Assert.Equal(0, reply.Header.Error);
        Assert.Equal((uint)(OutHeader.WireSize + EntryOut.WireSize), reply.Header.Len);
        var entry = reply.Read<EntryOut>();
        Assert.Equal(42ul, entry.NodeId);
        Assert.Equal(3ul, entry.Generation);
        Assert.Equal((1ul, 500_000_000u), (entry.EntryValid, entry.EntryValidNsec));
        Assert.Equal((0ul, 250_000_000u), (entry.AttrValid, entry.AttrValidNsec));
        Assert.Equal(1234ul, entry.Attr.Size);
        Assert.Equal(FuseMode.Regular | 0x1A4, entry.Attr.Mode);
    }

    [Fact]
    public void RequestExtensionsAtTheEndAreNotPartOfTheArguments()
    {
        var fs = new RecordingFileSystem();
        Start(fs);
        var request = Requests.Build(FuseOpcode.Lookup, 10, 1, Encoding.UTF8.GetBytes("abc"), new byte[8]);
        request[InHeader.WireSize - 4] = 1; // total_extlen: one 8-byte unit

        _channel.Push(request);

        Assert.Equal(0, _channel.NextReply().Header.Error);
        Assert.Equal("lookup 1 abc", Assert.Single(fs.Calls));
    }

    [Fact]
    public void ErrorsAreAnsweredWithTheNegativeErrno()
    {
        Start(new RecordingFileSystem());

        _channel.Push(Requests.Build(FuseOpcode.Lookup, 11, 1, Requests.Name("missing")));
        _channel.Push(Requests.Build(FuseOpcode.Mknod, 12, 1, Requests.Struct(new MknodIn { Mode = FuseMode.Regular }), Requests.Name("n")));
        var replies = new[] { _channel.NextReply(), _channel.NextReply() }.ToDictionary(r => r.Header.Unique);
        _channel.Push(Requests.Build(FuseOpcode.Lookup, 13, 1, Requests.Name("broken")));
        var broken = _channel.NextReply();
        _channel.Push(Requests.Build((FuseOpcode)4000, 14, 1));
        var unknown = _channel.NextReply();

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

        _channel.Push(Requests.Build(FuseOpcode.Forget, 20, 42, Requests.Struct(new ForgetIn { NLookup = 3 })));
        _channel.Push(Requests.Build(FuseOpcode.BatchForget, 21, 0,
            Requests.Struct(new BatchForgetIn { Count = 2 }),
            Requests.Struct(new ForgetOne { NodeId = 50, NLookup = 1 }),
            Requests.Struct(new ForgetOne { NodeId = 51, NLookup = 7 })));
        // A request that is answered, after the forgets on the same reader: its answer is the first message.
        _channel.Push(Requests.Build(FuseOpcode.GetAttr, 22, 42, Requests.Struct(new GetAttrIn())));
        var reply = _channel.NextReply();

        Assert.Equal(22ul, reply.Header.Unique);
        Assert.Equal([(42ul, 3ul), (50ul, 1ul), (51ul, 7ul)], fs.Forgets.OrderBy(f => f.NodeId).ToArray());
    }

    [Fact]
    public void GetAttrPassesTheHandleOnlyWhenTheKernelMarksIt()
    {
        var fs = new RecordingFileSystem();
        Start(fs);

        _channel.Push(Requests.Build(FuseOpcode.GetAttr, 30, 42, Requests.Struct(new GetAttrIn { GetAttrFlags = 0, Fh = 9 })));
        var first = _channel.NextReply();
        _channel.Push(Requests.Build(FuseOpcode.GetAttr, 31, 42, Requests.Struct(new GetAttrIn { GetAttrFlags = GetAttrIn.FlagFh, Fh = 9 })));
        var second = _channel.NextReply();

        Assert.Equal(["getattr 42 -", "getattr 42 9"], fs.Calls.ToArray());
        Assert.Equal((uint)(OutHeader.WireSize + AttrOut.WireSize), first.Header.Len);
        var attr = second.Read<AttrOut>();
        Assert.Equal((2ul, 0u), (attr.AttrValid, attr.AttrValidNsec));
        Assert.Equal(42ul, attr.Attr.Ino);
    }

    [Fact]
    public void SetAttrCarriesTheValidBitsAndTheirFields()
    {
        var fs = new RecordingFileSystem();
        Start(fs);
        var input = new SetAttrIn
        {
            Valid = (uint)(FuseSetAttrFields.Mode | FuseSetAttrFields.Size | FuseSetAttrFields.Handle | FuseSetAttrFields.ModifyTime),
            Fh = 77,
            Size = 4096,
            Mode = 0x1ED,
            Mtime = 1_700_000_000,
            MtimeNsec = 5,
            Uid = 1,
        };

        _channel.Push(Requests.Build(FuseOpcode.SetAttr, 40, 42, Requests.Struct(input)));
        var reply = _channel.NextReply().Read<AttrOut>();

        var changes = fs.LastSetAttr;
        Assert.True(changes.Has(FuseSetAttrFields.Mode) && changes.Has(FuseSetAttrFields.Size) && changes.Has(FuseSetAttrFields.Handle));
        Assert.False(changes.Has(FuseSetAttrFields.Uid));
        Assert.Equal((77ul, 4096ul, 0x1EDu), (changes.Handle, changes.Size, changes.Mode));
        Assert.Equal(new FuseTime(1_700_000_000, 5), changes.ModifyTime);
        Assert.Equal(4096ul, reply.Attr.Size);
    }

    [Fact]
    public void SymlinkAndRenameTwoParseTheirNamesInKernelOrder()
    {
        var fs = new RecordingFileSystem();
        Start(fs);

        _channel.Push(Requests.Build(FuseOpcode.Symlink, 50, 1, Requests.Name("link"), Requests.Name("../target/file")));
        _channel.NextReply();
        _channel.Push(Requests.Build(FuseOpcode.Rename2, 51, 1, Requests.Struct(new Rename2In { NewDir = 9, Flags = 1 }), Requests.Name("old"), Requests.Name("new")));
        _channel.NextReply();
        _channel.Push(Requests.Build(FuseOpcode.Rename, 52, 1, Requests.Struct(new RenameIn { NewDir = 1 }), Requests.Name("a"), Requests.Name("b")));
        _channel.NextReply();

        Assert.Equal(["symlink 1 link -> ../target/file", "rename 1 old 9 new NoReplace", "rename 1 a 1 b None"], fs.Calls.ToArray());
    }

    [Fact]
    public void CreateAnswersWithTheEntryAndTheOpenFileInOneReply()
    {
        var fs = new RecordingFileSystem();
        Start(fs);

        _channel.Push(Requests.Build(FuseOpcode.Create, 60, 1, Requests.Struct(new CreateIn { Flags = 0x41, Mode = FuseMode.Regular | 0x1A4, Umask = 0x12 }), Requests.Name("new.txt")));
        var reply = _channel.NextReply();

        Assert.Equal($"create 1 new.txt {FuseMode.Regular | 0x1A4:x} 12 41", Assert.Single(fs.Calls));
        Assert.Equal((uint)(OutHeader.WireSize + EntryOut.WireSize + OpenOut.WireSize), reply.Header.Len);
        Assert.Equal(44ul, reply.Read<EntryOut>().NodeId);
        var open = reply.Read<OpenOut>(EntryOut.WireSize);
        Assert.Equal(99ul, open.Fh);
        Assert.Equal((uint)FuseOpenFlags.KeepCache, open.OpenFlags);
    }

    [Fact]
    public void ReadAnswersWithTheDataRightAfterTheHeaderInOneWrite()
    {
        var data = Enumerable.Range(0, 10_000).Select(i => (byte)(i * 7)).ToArray();
        var fs = new RecordingFileSystem { FileData = data };
        Start(fs);

        _channel.Push(Requests.Build(FuseOpcode.Read, 70, 42, Requests.Struct(new ReadIn { Fh = 5, Offset = 100, Size = 8192 })));
        var reply = _channel.NextReply();
        _channel.Push(Requests.Build(FuseOpcode.Read, 71, 42, Requests.Struct(new ReadIn { Fh = 5, Offset = 9_000, Size = 8192 })));
        var tail = _channel.NextReply();

        Assert.Equal((uint)(OutHeader.WireSize + 8192), reply.Header.Len);
        Assert.Equal(data.AsSpan(100, 8192), reply.Payload);
        Assert.Equal(data.AsSpan(9_000), tail.Payload);
        Assert.Equal(["read 42 5 100 8192", "read 42 5 9000 8192"], fs.Calls.ToArray());
    }

    [Fact]
    public void AOneMebibyteWriteReachesTheHandlerWhole()
    {
        var fs = new RecordingFileSystem();
        Start(fs);
        var data = new byte[1 << 20];
        new Random(12).NextBytes(data);

        _channel.Push(Requests.Build(FuseOpcode.Write, 80, 42, Requests.Struct(new WriteIn { Fh = 5, Offset = 4096, Size = (uint)data.Length, WriteFlags = 1 }), data));
        var reply = _channel.NextReply();
        _channel.Push(Requests.Build(FuseOpcode.Write, 81, 42, Requests.Struct(new WriteIn { Fh = 5, Offset = 0, Size = 3 }), "abc"u8.ToArray()));
        var small = _channel.NextReply();

        Assert.Equal((uint)data.Length, reply.Read<WriteOut>().Size);
        Assert.Equal(3u, small.Read<WriteOut>().Size);
        Assert.Equal([$"write 42 5 4096 {data.Length} Cache", "write 42 5 0 3 None"], fs.Calls.ToArray());
        Assert.Equal("abc"u8.ToArray(), fs.LastWrite);
    }

    [Fact]
    public void AWriteShorterThanItsSizeIsRefused()
    {
        Start(new RecordingFileSystem());

        _channel.Push(Requests.Build(FuseOpcode.Write, 82, 42, Requests.Struct(new WriteIn { Fh = 5, Size = 100 }), new byte[10]));

        Assert.Equal(-Errno.EINVAL, _channel.NextReply().Header.Error);
    }

    [Fact]
    public async Task InterruptCancelsTheHandlerAndTheAnswerIsEintr()
    {
        var fs = new RecordingFileSystem { BlockReads = true };
        Start(fs);

        _channel.Push(Requests.Build(FuseOpcode.Read, 90, 42, Requests.Struct(new ReadIn { Fh = 5, Size = 4096 })));
        await fs.ReadStarted.Task.WaitAsync(Timeout);
        Assert.False(_channel.HasMessage);
        // The kernel's INTERRUPT has its own unique (with FUSE_INT_REQ_BIT) and names the victim.
        _channel.Push(Requests.Build(FuseOpcode.Interrupt, 90 | 1, 0, Requests.Struct(new InterruptIn { Unique = 90 })));
        var reply = _channel.NextReply();

        await fs.ReadCancelled.Task.WaitAsync(Timeout);
        Assert.Equal(90ul, reply.Header.Unique);
        Assert.Equal(-Errno.EINTR, reply.Header.Error);
    }

    [Fact]
    public void InterruptOfARequestNotInFlightAsksTheKernelToRetry()
    {
        Start(new RecordingFileSystem());

        _channel.Push(Requests.Build(FuseOpcode.Interrupt, 97, 0, Requests.Struct(new InterruptIn { Unique = 96 })));
        var reply = _channel.NextReply();

        Assert.Equal(97ul, reply.Header.Unique);
        Assert.Equal(-Errno.EAGAIN, reply.Header.Error);
    }

    [Fact]
    public void ReadDirStopsAtTheReplySizeAndContinuesFromTheOffsetCookie()
    {
        var names = Enumerable.Range(0, 200).Select(i => $"entry-{i:D4}-{new string('x', i % 13)}").ToList();
        Start(new RecordingFileSystem { DirectoryNames = names });

        var seen = new List<string>();
        ulong offset = 0;
        for (var round = 0; round < 100; round++)
        {
            _channel.Push(Requests.Build(FuseOpcode.ReadDir, (ulong)(100 + round), 1, Requests.Struct(new ReadIn { Fh = 1, Offset = offset, Size = 1024 })));
            var reply = _channel.NextReply();
            Assert.True(reply.Payload.Length <= 1024);
            if (reply.Payload.Length == 0)
                break;
            foreach (var (name, ino, type, next) in ParseDirents(reply.Payload, plus: false))
            {
                Assert.Equal((ulong)(100 + seen.Count), ino);
                Assert.Equal(FuseMode.Regular >> 12, type);
                seen.Add(name);
                offset = next;
            }
        }

        Assert.Equal(names, seen);
    }

    [Fact]
    public void ReadDirPlusCarriesTheEntryOfEveryName()
    {
        var names = new List<string> { "a", "bb", "ccc" };
        Start(new RecordingFileSystem { DirectoryNames = names }, new FuseMountOptions { ReaderThreads = 1, ReadDirPlus = true });

        _channel.Push(Requests.Build(FuseOpcode.ReadDirPlus, 110, 1, Requests.Struct(new ReadIn { Fh = 1, Offset = 1, Size = 4096 })));
        var reply = _channel.NextReply();

        var entries = ParseDirents(reply.Payload, plus: true).ToList();
        Assert.Equal(["bb", "ccc"], entries.Select(e => e.Name));
        Assert.Equal([2ul, 3ul], entries.Select(e => e.Next));
        var firstEntry = MemoryMarshal.Read<EntryOut>(reply.Payload);
        Assert.Equal(101ul, firstEntry.NodeId);
        Assert.Equal(1ul, firstEntry.Attr.Size);
    }

    [Fact]
    public void XattrSizeQueriesAndShortBuffersFollowTheKernelConvention()
    {
        Start(new RecordingFileSystem());

        _channel.Push(Requests.Build(FuseOpcode.GetXattr, 120, 42, Requests.Struct(new GetXattrIn { Size = 0 }), Requests.Name("user.present")));
        var size = _channel.NextReply();
        _channel.Push(Requests.Build(FuseOpcode.GetXattr, 121, 42, Requests.Struct(new GetXattrIn { Size = 2 }), Requests.Name("user.present")));
        var tooSmall = _channel.NextReply();
        _channel.Push(Requests.Build(FuseOpcode.GetXattr, 122, 42, Requests.Struct(new GetXattrIn { Size = 64 }), Requests.Name("user.present")));
        var value = _channel.NextReply();
        _channel.Push(Requests.Build(FuseOpcode.GetXattr, 123, 42, Requests.Struct(new GetXattrIn { Size = 64 }), Requests.Name("user.absent")));
        var absent = _channel.NextReply();

        Assert.Equal(5u, size.Read<GetXattrOut>().Size);
        Assert.Equal(-Errno.ERANGE, tooSmall.Header.Error);
        Assert.Equal("value"u8.ToArray(), value.Payload.ToArray());
        Assert.Equal(-Errno.ENODATA, absent.Header.Error);
    }

    [Fact]
    public void NotificationsCarryUniqueZeroAndTheCodeInTheErrorField()
    {
        var session = Start(new RecordingFileSystem());

        Assert.Equal(0, session.NotifyInvalidateInode(42, 4096, 8192));
        var inode = _channel.NextReply();
        Assert.Equal(0, session.NotifyInvalidateEntry(1, "name"));
        var entry = _channel.NextReply();
        Assert.Equal(0, session.NotifyDelete(1, 42, "gone"));
        var delete = _channel.NextReply();
        _channel.WriteResult = Errno.ENOENT;
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
        _channel.Push(Requests.Build(FuseOpcode.Read, 130, 42, Requests.Struct(new ReadIn { Fh = 5, Size = 4096 })));
        await fs.ReadStarted.Task.WaitAsync(Timeout);

        _channel.Close();
        await session.Completion.WaitAsync(Timeout);

        await fs.ReadCancelled.Task.WaitAsync(Timeout);
        Assert.True(fs.Destroyed);
        Assert.True(_channel.Disposed);
        Assert.Equal(-Errno.EINTR, _channel.NextReply().Header.Error);
        Assert.NotEqual(0, session.NotifyInvalidateInode(42, 0, 0));
    }

    private static IEnumerable<(string Name, ulong Ino, uint Type, ulong Next)> ParseDirents(ReadOnlySpan<byte> payload, bool plus)
    {
        var result = new List<(string, ulong, uint, ulong)>();
        var offset = 0;
        while (offset < payload.Length)
        {
            var start = offset + (plus ? EntryOut.WireSize : 0);
            var dirent = MemoryMarshal.Read<Dirent>(payload[start..]);
            var name = Encoding.UTF8.GetString(payload.Slice(start + Dirent.WireSize, (int)dirent.NameLen));
            result.Add((name, dirent.Ino, dirent.Type, dirent.Off));
            var record = Dirent.Align((plus ? EntryOut.WireSize : 0) + Dirent.WireSize + (int)dirent.NameLen);
            Assert.Equal(0, record % 8);
            offset += record;
        }
        Assert.Equal(payload.Length, offset);
        return result;
    }
}
