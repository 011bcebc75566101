using Pfs.ServiceDefaults.Connections;

namespace Pfs.Tests.Unit.ServiceDefaults;

/// <summary>The share of the descriptor table a server keeps for the .NET runtime, and how it reads its limit.</summary>
public sealed class DescriptorReserveTests
{
    [Theory]
    [InlineData(256, 64)]
    [InlineData(1024, 128)]
    [InlineData(4096, 512)]
    [InlineData(1_048_576, 1024)]
    public void AnEighthOfTheTableIsKeptWithinItsBounds(long limit, long reserve)
    {
        // Act
        var kept = new DescriptorReserve(limit);

        // Assert
        Assert.Equal(reserve, kept.Reserve);
        Assert.Equal(limit - reserve, kept.Ceiling);
        Assert.False(kept.Holds(limit - reserve - 1));
        Assert.True(kept.Holds(limit - reserve));
    }

    [Fact]
    public void TheSoftLimitIsReadFromProcLimits()
    {
        // Arrange: the layout of /proc/PID/limits
        const string Limits = """
            Limit                     Soft Limit           Hard Limit           Units
            Max processes             95653                95653                processes
            Max open files            1024                 524288               files
            Max locked memory         8388608              8388608              bytes
            """;

        // Act and assert
        Assert.Equal(1024, DescriptorReserve.ParseLimit(Limits));
        Assert.Null(DescriptorReserve.ParseLimit(Limits.Replace("1024   ", "unlimited", StringComparison.Ordinal)));
        Assert.Null(DescriptorReserve.ParseLimit("Limit Soft Limit Hard Limit Units\n"));
    }

    [Fact]
    public void ThisProcessesReserveIsUnderItsRealLimit()
    {
        // Arrange
        var limits = File.ReadAllText("/proc/self/limits");

        // Act
        var reserve = DescriptorReserve.Process;

        // Assert: the limit of the running process, and a handle it opens now is below the reserve
        Assert.True(reserve.Enabled);
        Assert.Equal(DescriptorReserve.ParseLimit(limits), reserve.Limit);
        using var handle = File.OpenHandle(typeof(DescriptorReserveTests).Assembly.Location);
        Assert.False(reserve.Holds(handle));
        Assert.True(new DescriptorReserve((long)handle.DangerousGetHandle() + 64).Holds(handle));
    }

    [Fact]
    public void ALimitThatLeavesLittleRoomIsWarnedOf()
    {
        // Arrange: 256 descriptors, 64 of them kept, 214 open at start (what a file server holds idle)
        var reserve = new DescriptorReserve(256);

        // Act
        var tight = reserve.Shortage(openNow: 214);
        var ample = new DescriptorReserve(65536).Shortage(openNow: 214);

        // Assert
        Assert.NotNull(tight);
        Assert.Contains("may open 256 files (ulimit -n) and has 214 open", tight, StringComparison.Ordinal);
        Assert.Contains("0 are left", tight, StringComparison.Ordinal);
        Assert.Null(ample);
        Assert.Null(DescriptorReserve.None.Shortage(openNow: 1_000_000));
    }
}
