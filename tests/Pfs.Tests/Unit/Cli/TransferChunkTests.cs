using Pfs.Cli.Commands;

namespace Pfs.Tests.Unit.Cli;

public sealed class TransferChunkTests
{
    private const int MiB = 1024 * 1024;

    [Theory]
    [InlineData(1, MiB, 4 * MiB)]      // at least 4 MiB
    [InlineData(8, MiB, 8 * MiB)]      // a whole stripe
    [InlineData(16, 16 * MiB, 64 * MiB)] // at most 64 MiB
    public void ALoneFileMovesAWholeStripeAtATimeWithinBounds(int width, int blockSize, int expected) =>
        Assert.Equal(expected, Transfer.ChunkBytes(width, blockSize));

    [Theory]
    [InlineData(1000, 1, 64 * 1024)]              // a small file holds a small buffer
    [InlineData(100L * MiB, 1, 64 * MiB)]         // one big file moves as a lone file does
    [InlineData(100L * MiB, 8, 32 * MiB)]         // the default 8 jobs share 256 MiB
    [InlineData(100L * MiB, 256, MiB)]            // -j 256: 1 MiB each, not 64 MiB
    public void ATreesJobsTogetherHoldNoMoreThanTheBudget(long length, int jobs, int expected)
    {
        var chunk = Transfer.ChunkBytes(16, 16 * MiB, length, jobs);

        Assert.Equal(expected, chunk);
        Assert.True((long)chunk * jobs <= Transfer.TreeBufferBudget);
    }
}
