using System.Collections.Concurrent;
using Pfs.Fuse.Protocol;

namespace Pfs.Fuse.Tests.Unit;

/// <summary>GETLK, SETLK and SETLKW as the kernel sends them, the INIT flags that ask for them, and the flock unlock of a RELEASE.</summary>
public sealed class LockRequestTests : SessionHarness
{
    [Fact]
    public void AFileSystemWithLockHandlersIsSentFcntlAndFlockLocks()
    {
        Start(new LockingFileSystem(), init: false);

        Channel.Push(Requests.Init());
        var flags = (FuseInitFlags)Channel.NextReply().Read<InitOut>().Flags;

        Assert.True(flags.HasFlag(FuseInitFlags.PosixLocks));
        Assert.True(flags.HasFlag(FuseInitFlags.FlockLocks));
    }

    [Fact]
    public void SetlkAndSetlkwArriveWithTheirOwnerRangeAndKindAndAConflictIsEagain()
    {
        var fs = new LockingFileSystem { Refuse = true };
        Start(fs);

        Channel.Push(Requests.Build(FuseOpcode.SetLk, 90, 42, Requests.Struct(new LkIn
        {
            Fh = 5, Owner = 0xABC, Lock = new FileLock { Start = 10, End = 19, Type = (uint)FuseLockType.Write, Pid = 321 },
        })));
        var refused = Channel.NextReply();
        fs.Refuse = false;
        Channel.Push(Requests.Build(FuseOpcode.SetLkW, 91, 42, Requests.Struct(new LkIn
        {
            Fh = 5, Owner = 0xDEF, Lock = new FileLock { Start = 0, End = FuseLock.ToEndOfFile, Type = (uint)FuseLockType.Read, Pid = 9 },
            LkFlags = LkIn.FlagFlock,
        })));
        var granted = Channel.NextReply();

        Assert.Equal(-Errno.EAGAIN, refused.Header.Error);
        Assert.Equal(0, granted.Header.Error);
        Assert.Equal(
            ["setlk 42 5 abc 10-19 Write pid 321 flock False wait False", $"setlk 42 5 def 0-{FuseLock.ToEndOfFile} Read pid 9 flock True wait True"],
            fs.Calls);
    }

    [Fact]
    public void GetlkIsAnsweredWithTheLockInTheWayCutToTheKernelsLargestOffset()
    {
        var fs = new LockingFileSystem { InTheWay = new FuseLock(100, ulong.MaxValue, FuseLockType.Write, 0) };
        Start(fs);

        Channel.Push(Requests.Build(FuseOpcode.GetLk, 92, 42, Requests.Struct(new LkIn
        {
            Fh = 5, Owner = 7, Lock = new FileLock { Start = 150, End = 150, Type = (uint)FuseLockType.Read },
        })));
        var reply = Channel.NextReply();

        Assert.Equal(0, reply.Header.Error);
        var found = reply.Read<LkOut>().Lock;
        Assert.Equal((100UL, FuseLock.ToEndOfFile, (uint)FuseLockType.Write, 0U), (found.Start, found.End, found.Type, found.Pid));
    }

    [Fact]
    public void AReleaseThatCarriesFlockLocksUnlocksThemForItsOwnerAndThenReleases()
    {
        var fs = new LockingFileSystem();
        Start(fs);

        Channel.Push(Requests.Build(FuseOpcode.Release, 93, 42, Requests.Struct(new ReleaseIn { Fh = 5, ReleaseFlags = ReleaseIn.FlagFlockUnlock, LockOwner = 0x77 })));
        Channel.Push(Requests.Build(FuseOpcode.Release, 94, 43, Requests.Struct(new ReleaseIn { Fh = 6, LockOwner = 0x88 })));

        Assert.All(new[] { Channel.NextReply(), Channel.NextReply() }, reply => Assert.Equal(0, reply.Header.Error));
        // The two requests may run at once; the first one's unlock comes before its release, and the second has none.
        Assert.Equal([$"setlk 42 5 77 0-{FuseLock.ToEndOfFile} Unlock pid 0 flock True wait False", "release 42 5"], fs.Calls.Where(call => call.Contains(" 42 5", StringComparison.Ordinal)));
        Assert.Equal(["release 43 6"], fs.Calls.Where(call => call.Contains(" 43 ", StringComparison.Ordinal)));
    }

    private sealed class LockingFileSystem : FuseFileSystem
    {
        public ConcurrentQueue<string> Calls { get; } = new();

        public bool Refuse { get; set; }

        public FuseLock InTheWay { get; init; } = FuseLock.None;

        public override ValueTask<FuseLock> GetLockAsync(FuseContext context, ulong nodeId, ulong handle, ulong owner, FuseLock requested, bool flock) =>
            ValueTask.FromResult(InTheWay);

        public override ValueTask SetLockAsync(FuseContext context, ulong nodeId, ulong handle, ulong owner, FuseLock requested, bool flock, bool wait)
        {
            Calls.Enqueue($"setlk {nodeId} {handle} {owner:x} {requested.Start}-{requested.End} {requested.Type} pid {requested.Pid} flock {flock} wait {wait}");
            return Refuse ? throw new FuseException(Errno.EAGAIN) : ValueTask.CompletedTask;
        }

        public override ValueTask ReleaseAsync(FuseContext context, ulong nodeId, ulong handle, int flags)
        {
            Calls.Enqueue($"release {nodeId} {handle}");
            return ValueTask.CompletedTask;
        }
    }
}
