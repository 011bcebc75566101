using Pfs.Cli.Output;

namespace Pfs.Tests.Unit.Cli;

public sealed class SizesTests
{
    [Theory]
    [InlineData("4096", 4096L)]
    [InlineData("512B", 512L)]
    [InlineData("64K", 65536L)]
    [InlineData("64k", 65536L)]
    [InlineData("1M", 1048576L)]
    [InlineData("1MiB", 1048576L)]
    [InlineData("1MB", 1048576L)]
    [InlineData("2G", 2147483648L)]
    public void ParsesByteCountsWithBinarySuffixes(string text, long expected)
    {
        Assert.True(Sizes.TryParse(text, out var bytes));
        Assert.Equal(expected, bytes);
    }

    [Theory]
    [InlineData("")]
    [InlineData("M")]
    [InlineData("1.5M")]
    [InlineData("-1")]
    [InlineData("1T")]
    [InlineData("99999999999999999999")]
    public void RejectsWhatIsNotAByteCount(string text)
    {
        Assert.False(Sizes.TryParse(text, out _));
    }

    [Theory]
    [InlineData(0L, "0 B")]
    [InlineData(1023L, "1023 B")]
    [InlineData(1024L, "1 KiB")]
    [InlineData(5000L, "4.9 KiB")]
    [InlineData(52428800L, "50 MiB")]
    [InlineData(52428801L, "50.0 MiB")]
    public void FormatsExactlyForWholeUnitsAndToOneDecimalOtherwise(long bytes, string expected)
    {
        Assert.Equal(expected, Sizes.Format(bytes));
    }
}
