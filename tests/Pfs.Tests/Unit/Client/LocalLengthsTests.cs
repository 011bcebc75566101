using Pfs.Client.Caching;
using Pfs.Client.Striping;

namespace Pfs.Tests.Unit.Client;

public sealed class LocalLengthsTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(5)]
    public void EachServerHoldsTheBytesOfItsBlocksBelowTheLength(int width)
    {
        const int blockSize = 8;
        for (long length = 0; length <= 12 * width * blockSize; length++)
        {
            // Byte by byte: the highest local offset + 1 of any file byte below the length, per server.
            var expected = new long[width];
            for (long at = 0; at < length; at++)
            {
                var block = at / blockSize;
                var server = StripeMath.ServerOf(block, width);
                expected[server] = Math.Max(expected[server], StripeMath.LocalOffset(block, width, blockSize) + (at % blockSize) + 1);
            }

            Assert.Equal(expected, BlockWriter.LocalLengths(length, width, blockSize));
        }
    }
}
