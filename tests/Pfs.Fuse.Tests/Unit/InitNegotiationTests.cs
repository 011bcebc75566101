using Pfs.Fuse.Protocol;
using Pfs.Fuse.Session;

namespace Pfs.Fuse.Tests.Unit;

/// <summary>FUSE_INIT: versions, flags and sizes settled with kernels old and new.</summary>
public sealed class InitNegotiationTests : SessionHarness
{
    [Fact]
    public async Task InitSettlesTheNewestCommonMinorAndOneMebibyteRequests()
    {
        var session = Start(new RecordingFileSystem(), init: false);

        Channel.Push(Requests.Init(unique: 5, minor: 45));
        var reply = Channel.NextReply();

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

        Channel.Push(Requests.Init(minor: 52));

        Assert.Equal(FuseSession.MaxMinor, Channel.NextReply().Read<InitOut>().Minor);
    }

    [Fact]
    public void InitGrantsOnlyWhatTheKernelOffersAndWhatTheOptionsAsk()
    {
        var options = new FuseMountOptions { ReaderThreads = 1, WritebackCache = true, ReadDirPlus = true, DataInvalidation = FuseDataInvalidation.Auto, AsyncRead = false };
        Start(new RecordingFileSystem(), options, init: false);

        Channel.Push(Requests.Init(offered: Requests.KernelOffers & ~FuseInitFlags.WritebackCache));
        var flags = (FuseInitFlags)Channel.NextReply().Read<InitOut>().Flags;

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

        Channel.Push(Requests.Init(minor: 27));

        Assert.Equal(-Errno.EPROTO, Channel.NextReply().Header.Error);
        await Assert.ThrowsAsync<FuseMountException>(() => session.Initialized.WaitAsync(Timeout));
    }

    [Fact]
    public void InitFromANewerMajorAnswersOurMajorAndWaitsForTheNextInit()
    {
        var session = Start(new RecordingFileSystem(), init: false);

        Channel.Push(Requests.Init(unique: 1, major: 8));
        var first = Channel.NextReply().Read<InitOut>();
        Channel.Push(Requests.Init(unique: 2, minor: 40));
        var second = Channel.NextReply().Read<InitOut>();

        Assert.Equal(7u, first.Major);
        Assert.Equal(0u, first.MaxWrite);
        Assert.Equal(40u, second.Minor);
        Assert.Equal(1u << 20, second.MaxWrite);
    }
}
