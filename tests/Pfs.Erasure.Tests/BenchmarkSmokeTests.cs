using Pfs.Erasure.Benchmarks;

namespace Pfs.Erasure.Tests;

public sealed class BenchmarkSmokeTests
{
    [Fact]
    public void TheBenchmarkTableRunsAndEveryImplementationItTimesIsRight()
    {
        var output = new StringWriter();

        var exitCode = new CodecTable(CodecTable.Mode.Smoke, output).Run();

        var text = output.ToString();
        Assert.True(exitCode == 0, text);
        Assert.Contains("| encode | 4+2 | 4 KiB |", text);
        Assert.Contains("| decode, 2 data lost | 4+2 | 4 KiB |", text);
        Assert.Contains("every output checked and right", text);
        Assert.DoesNotContain("WRONG", text);
    }
}
