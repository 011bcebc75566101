using System.Runtime.InteropServices;
using System.Text;
using Pfs.Fuse.Protocol;

namespace Pfs.Fuse.Tests.Unit;

/// <summary>Requests shaped as the kernel sends them are parsed into handler calls and answered in one write.</summary>
public sealed class RequestParsingTests : SessionHarness
{
    [Fact]
    public void LookupIsParsedAndAnsweredWithAnEntry()
    {
        var fs = new RecordingFileSystem();
        Start(fs);

        Channel.Push(Requests.Build(FuseOpcode.Lookup, 10, 1, Requests.Name("héllo.txt")));
        var reply = Channel.NextReply();

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

        Channel.Push(request);

        Assert.Equal(0, Channel.NextReply().Header.Error);
        Assert.Equal("lookup 1 abc", Assert.Single(fs.Calls));
    }

    [Fact]
    public void GetAttrPassesTheHandleOnlyWhenTheKernelMarksIt()
    {
        var fs = new RecordingFileSystem();
        Start(fs);

        Channel.Push(Requests.Build(FuseOpcode.GetAttr, 30, 42, Requests.Struct(new GetAttrIn { GetAttrFlags = 0, Fh = 9 })));
        var first = Channel.NextReply();
        Channel.Push(Requests.Build(FuseOpcode.GetAttr, 31, 42, Requests.Struct(new GetAttrIn { GetAttrFlags = GetAttrIn.FlagFh, Fh = 9 })));
        var second = Channel.NextReply();

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

        Channel.Push(Requests.Build(FuseOpcode.SetAttr, 40, 42, Requests.Struct(input)));
        var reply = Channel.NextReply().Read<AttrOut>();

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

        Channel.Push(Requests.Build(FuseOpcode.Symlink, 50, 1, Requests.Name("link"), Requests.Name("../target/file")));
        Channel.NextReply();
        Channel.Push(Requests.Build(FuseOpcode.Rename2, 51, 1, Requests.Struct(new Rename2In { NewDir = 9, Flags = 1 }), Requests.Name("old"), Requests.Name("new")));
        Channel.NextReply();
        Channel.Push(Requests.Build(FuseOpcode.Rename, 52, 1, Requests.Struct(new RenameIn { NewDir = 1 }), Requests.Name("a"), Requests.Name("b")));
        Channel.NextReply();

        Assert.Equal(["symlink 1 link -> ../target/file", "rename 1 old 9 new NoReplace", "rename 1 a 1 b None"], fs.Calls.ToArray());
    }

    [Fact]
    public void CreateAnswersWithTheEntryAndTheOpenFileInOneReply()
    {
        var fs = new RecordingFileSystem();
        Start(fs);

        Channel.Push(Requests.Build(FuseOpcode.Create, 60, 1, Requests.Struct(new CreateIn { Flags = 0x41, Mode = FuseMode.Regular | 0x1A4, Umask = 0x12 }), Requests.Name("new.txt")));
        var reply = Channel.NextReply();

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

        Channel.Push(Requests.Build(FuseOpcode.Read, 70, 42, Requests.Struct(new ReadIn { Fh = 5, Offset = 100, Size = 8192 })));
        var reply = Channel.NextReply();
        Channel.Push(Requests.Build(FuseOpcode.Read, 71, 42, Requests.Struct(new ReadIn { Fh = 5, Offset = 9_000, Size = 8192 })));
        var tail = Channel.NextReply();

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

        Channel.Push(Requests.Build(FuseOpcode.Write, 80, 42, Requests.Struct(new WriteIn { Fh = 5, Offset = 4096, Size = (uint)data.Length, WriteFlags = 1 }), data));
        var reply = Channel.NextReply();
        Channel.Push(Requests.Build(FuseOpcode.Write, 81, 42, Requests.Struct(new WriteIn { Fh = 5, Offset = 0, Size = 3 }), "abc"u8.ToArray()));
        var small = Channel.NextReply();

        Assert.Equal((uint)data.Length, reply.Read<WriteOut>().Size);
        Assert.Equal(3u, small.Read<WriteOut>().Size);
        Assert.Equal([$"write 42 5 4096 {data.Length} Cache", "write 42 5 0 3 None"], fs.Calls.ToArray());
        Assert.Equal("abc"u8.ToArray(), fs.LastWrite);
    }

    [Fact]
    public void AReadHandlerClaimingMoreThanItWasGivenIsAnsweredEio()
    {
        Start(new OverclaimingFileSystem());

        Channel.Push(Requests.Build(FuseOpcode.Read, 72, 42, Requests.Struct(new ReadIn { Fh = 5, Size = 100 })));

        Assert.Equal(-Errno.EIO, Channel.NextReply().Header.Error);
    }

    [Fact]
    public void ReleaseWithoutAHandlerIsASuccess()
    {
        Start(new RecordingFileSystem());

        Channel.Push(Requests.Build(FuseOpcode.Release, 73, 42, Requests.Struct(new ReleaseIn { Fh = 5 })));
        Channel.Push(Requests.Build(FuseOpcode.ReleaseDir, 74, 1, Requests.Struct(new ReleaseIn { Fh = 6 })));

        Assert.All(new[] { Channel.NextReply(), Channel.NextReply() }, reply => Assert.Equal(0, reply.Header.Error));
    }

    [Fact]
    public void AWriteShorterThanItsSizeIsRefused()
    {
        Start(new RecordingFileSystem());

        Channel.Push(Requests.Build(FuseOpcode.Write, 82, 42, Requests.Struct(new WriteIn { Fh = 5, Size = 100 }), new byte[10]));

        Assert.Equal(-Errno.EINVAL, Channel.NextReply().Header.Error);
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
            Channel.Push(Requests.Build(FuseOpcode.ReadDir, (ulong)(100 + round), 1, Requests.Struct(new ReadIn { Fh = 1, Offset = offset, Size = 1024 })));
            var reply = Channel.NextReply();
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

        Channel.Push(Requests.Build(FuseOpcode.ReadDirPlus, 110, 1, Requests.Struct(new ReadIn { Fh = 1, Offset = 1, Size = 4096 })));
        var reply = Channel.NextReply();

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

        Channel.Push(Requests.Build(FuseOpcode.GetXattr, 120, 42, Requests.Struct(new GetXattrIn { Size = 0 }), Requests.Name("user.present")));
        var size = Channel.NextReply();
        Channel.Push(Requests.Build(FuseOpcode.GetXattr, 121, 42, Requests.Struct(new GetXattrIn { Size = 2 }), Requests.Name("user.present")));
        var tooSmall = Channel.NextReply();
        Channel.Push(Requests.Build(FuseOpcode.GetXattr, 122, 42, Requests.Struct(new GetXattrIn { Size = 64 }), Requests.Name("user.present")));
        var value = Channel.NextReply();
        Channel.Push(Requests.Build(FuseOpcode.GetXattr, 123, 42, Requests.Struct(new GetXattrIn { Size = 64 }), Requests.Name("user.absent")));
        var absent = Channel.NextReply();

        Assert.Equal(5u, size.Read<GetXattrOut>().Size);
        Assert.Equal(-Errno.ERANGE, tooSmall.Header.Error);
        Assert.Equal("value"u8.ToArray(), value.Payload.ToArray());
        Assert.Equal(-Errno.ENODATA, absent.Header.Error);
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

    private sealed class OverclaimingFileSystem : FuseFileSystem
    {
        public override ValueTask<int> ReadAsync(FuseContext context, ulong nodeId, ulong handle, long offset, Memory<byte> buffer) =>
            ValueTask.FromResult(buffer.Length + 10);
    }
}
