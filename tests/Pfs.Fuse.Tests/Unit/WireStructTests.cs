using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Pfs.Fuse.Protocol;

namespace Pfs.Fuse.Tests.Unit;

/// <summary>The wire structs must match include/uapi/linux/fuse.h byte for byte.</summary>
public sealed class WireStructTests
{
    [Fact]
    public void StructSizesMatchTheKernelHeader()
    {
        Assert.Equal(40, Unsafe.SizeOf<InHeader>());
        Assert.Equal(16, Unsafe.SizeOf<OutHeader>());
        Assert.Equal(88, Unsafe.SizeOf<FuseAttr>());
        Assert.Equal(128, Unsafe.SizeOf<EntryOut>());
        Assert.Equal(104, Unsafe.SizeOf<AttrOut>());
        Assert.Equal(64, Unsafe.SizeOf<InitIn>());
        Assert.Equal(64, Unsafe.SizeOf<InitOut>());
        Assert.Equal(8, Unsafe.SizeOf<InterruptIn>());
        Assert.Equal(8, Unsafe.SizeOf<ForgetIn>());
        Assert.Equal(16, Unsafe.SizeOf<ForgetOne>());
        Assert.Equal(8, Unsafe.SizeOf<BatchForgetIn>());
        Assert.Equal(16, Unsafe.SizeOf<GetAttrIn>());
        Assert.Equal(88, Unsafe.SizeOf<SetAttrIn>());
        Assert.Equal(16, Unsafe.SizeOf<MknodIn>());
        Assert.Equal(8, Unsafe.SizeOf<MkdirIn>());
        Assert.Equal(8, Unsafe.SizeOf<RenameIn>());
        Assert.Equal(16, Unsafe.SizeOf<Rename2In>());
        Assert.Equal(8, Unsafe.SizeOf<LinkIn>());
        Assert.Equal(8, Unsafe.SizeOf<AccessIn>());
        Assert.Equal(80, Unsafe.SizeOf<StatFsOut>());
        Assert.Equal(8, Unsafe.SizeOf<GetXattrIn>());
        Assert.Equal(8, Unsafe.SizeOf<GetXattrOut>());
        Assert.Equal(8, Unsafe.SizeOf<OpenIn>());
        Assert.Equal(16, Unsafe.SizeOf<CreateIn>());
        Assert.Equal(16, Unsafe.SizeOf<OpenOut>());
        Assert.Equal(24, Unsafe.SizeOf<ReleaseIn>());
        Assert.Equal(24, Unsafe.SizeOf<FlushIn>());
        Assert.Equal(40, Unsafe.SizeOf<ReadIn>());
        Assert.Equal(40, Unsafe.SizeOf<WriteIn>());
        Assert.Equal(8, Unsafe.SizeOf<WriteOut>());
        Assert.Equal(16, Unsafe.SizeOf<FsyncIn>());
        Assert.Equal(32, Unsafe.SizeOf<FallocateIn>());
        Assert.Equal(24, Unsafe.SizeOf<LseekIn>());
        Assert.Equal(8, Unsafe.SizeOf<LseekOut>());
        Assert.Equal(24, Unsafe.SizeOf<NotifyInvalInodeOut>());
        Assert.Equal(16, Unsafe.SizeOf<NotifyInvalEntryOut>());
        Assert.Equal(24, Unsafe.SizeOf<NotifyDeleteOut>());
        Assert.Equal(24, Unsafe.SizeOf<Dirent>());
    }

    [Fact]
    public void SizeConstantsAgreeWithTheLayout()
    {
        Assert.Equal(InHeader.WireSize, Unsafe.SizeOf<InHeader>());
        Assert.Equal(OutHeader.WireSize, Unsafe.SizeOf<OutHeader>());
        Assert.Equal(FuseAttr.WireSize, Unsafe.SizeOf<FuseAttr>());
        Assert.Equal(EntryOut.WireSize, Unsafe.SizeOf<EntryOut>());
        Assert.Equal(AttrOut.WireSize, Unsafe.SizeOf<AttrOut>());
        Assert.Equal(SetAttrIn.WireSize, Unsafe.SizeOf<SetAttrIn>());
        Assert.Equal(StatFsOut.WireSize, Unsafe.SizeOf<StatFsOut>());
        Assert.Equal(Dirent.WireSize, Unsafe.SizeOf<Dirent>());
    }

    [Theory]
    [InlineData(typeof(InHeader), nameof(InHeader.Unique), 8)]
    [InlineData(typeof(InHeader), nameof(InHeader.Uid), 24)]
    [InlineData(typeof(InHeader), nameof(InHeader.TotalExtLen), 36)]
    [InlineData(typeof(OutHeader), nameof(OutHeader.Unique), 8)]
    [InlineData(typeof(FuseAttr), nameof(FuseAttr.AtimeNsec), 48)]
    [InlineData(typeof(FuseAttr), nameof(FuseAttr.Mode), 60)]
    [InlineData(typeof(FuseAttr), nameof(FuseAttr.Blksize), 80)]
    [InlineData(typeof(EntryOut), nameof(EntryOut.EntryValidNsec), 32)]
    [InlineData(typeof(EntryOut), nameof(EntryOut.Attr), 40)]
    [InlineData(typeof(AttrOut), nameof(AttrOut.Attr), 16)]
    [InlineData(typeof(InitIn), nameof(InitIn.Flags2), 16)]
    [InlineData(typeof(InitOut), nameof(InitOut.MaxBackground), 16)]
    [InlineData(typeof(InitOut), nameof(InitOut.MaxWrite), 20)]
    [InlineData(typeof(InitOut), nameof(InitOut.MaxPages), 28)]
    [InlineData(typeof(InitOut), nameof(InitOut.Flags2), 32)]
    [InlineData(typeof(SetAttrIn), nameof(SetAttrIn.Size), 16)]
    [InlineData(typeof(SetAttrIn), nameof(SetAttrIn.AtimeNsec), 56)]
    [InlineData(typeof(SetAttrIn), nameof(SetAttrIn.Mode), 68)]
    [InlineData(typeof(SetAttrIn), nameof(SetAttrIn.Uid), 76)]
    [InlineData(typeof(ReadIn), nameof(ReadIn.Size), 16)]
    [InlineData(typeof(WriteIn), nameof(WriteIn.WriteFlags), 20)]
    [InlineData(typeof(StatFsOut), nameof(StatFsOut.Bsize), 40)]
    [InlineData(typeof(StatFsOut), nameof(StatFsOut.Frsize), 48)]
    [InlineData(typeof(Dirent), nameof(Dirent.NameLen), 16)]
    public void FieldsSitAtTheKernelsOffsets(Type type, string field, int offset)
    {
        Assert.Equal(offset, (int)Marshal.OffsetOf(type, field));
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 8)]
    [InlineData(8, 8)]
    [InlineData(25, 32)]
    public void DirentRecordsArePaddedToEightBytes(int length, int aligned)
    {
        Assert.Equal(aligned, Dirent.Align(length));
    }

    [Fact]
    public void FuseTimeRoundTripsThroughDateTimeOffset()
    {
        var instant = new DateTimeOffset(2024, 2, 29, 12, 34, 56, TimeSpan.Zero).AddTicks(1234567);
        var time = FuseTime.FromDateTimeOffset(instant);
        Assert.Equal(instant.ToUnixTimeSeconds(), time.Seconds);
        Assert.Equal(123456700u, time.Nanoseconds);
        Assert.Equal(instant, time.ToDateTimeOffset());

        var beforeEpoch = FuseTime.FromDateTimeOffset(DateTimeOffset.UnixEpoch.AddTicks(-1));
        Assert.Equal(-1, beforeEpoch.Seconds);
        Assert.Equal(999999900u, beforeEpoch.Nanoseconds);
    }

    [Theory]
    [InlineData(5_000_000_000_000L, 0u)] // year 160000: seconds * ticks per second overflows a long
    [InlineData(253_402_300_800L, 0u)] // the first second of year 10000
    [InlineData(-62_135_596_801L, 999_999_999u)] // the last nanosecond before year 1
    [InlineData(0L, 1_000_000_000u)] // nanoseconds past a second
    public void FuseTimeOutsideWhatDateTimeOffsetHoldsDoesNotConvert(long seconds, uint nanoseconds)
    {
        var time = new FuseTime(seconds, nanoseconds);
        Assert.False(time.TryToDateTimeOffset(out _));
        Assert.Throws<ArgumentOutOfRangeException>(() => time.ToDateTimeOffset());
    }

    [Fact]
    public void FuseTimeConvertsEveryTimeOfYearsOneTo9999()
    {
        Assert.True(new FuseTime(-62_135_596_800L, 0).TryToDateTimeOffset(out var first));
        Assert.True(new FuseTime(253_402_300_799L, 999_999_999).TryToDateTimeOffset(out var last));
        Assert.Equal((DateTimeOffset.MinValue, DateTimeOffset.MaxValue), (first, last));
    }
}
