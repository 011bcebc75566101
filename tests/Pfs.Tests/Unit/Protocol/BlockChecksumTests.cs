using System.IO.Hashing;
using CsCheck;
using Pfs.Protocol;

namespace Pfs.Tests.Unit.Protocol;

public sealed class BlockChecksumTests
{
    [Fact]
    public void EmptyInputGivesTheKnownXxh3Vector()
    {
        // XXH3_64bits("") with seed 0 is 0x2D06800538D394C2 (the xxHash reference's test vector); the sum keeps the low half.
        Assert.Equal(0x38D394C2u, BlockChecksum.Compute([], 0));
    }

    [Fact]
    public void AWholeBlockSumsAsXxh3OfItsBytes()
    {
        var block = new byte[4096];
        new Random(7).NextBytes(block);

        Assert.Equal((uint)XxHash3.HashToUInt64(block), BlockChecksum.Compute(block, 4096));
    }

    [Fact]
    public void AShortChunkSumsAsTheBlockPaddedWithZeros()
    {
        Gen.Int[1, 200_000].Select(Gen.Int[0, 4], (length, size) => (length, BlockSize: 512 << (size * 2)))
            .Where(t => t.length <= t.BlockSize)
            .Sample(t =>
            {
                var padded = new byte[t.BlockSize];
                new Random(t.length).NextBytes(padded.AsSpan(0, t.length));
                Assert.Equal(BlockChecksum.Compute(padded, t.BlockSize), BlockChecksum.Compute(padded.AsSpan(0, t.length), t.BlockSize));
            }, iter: 50);
    }

    [Fact]
    public void EveryFlippedBitChangesTheSum()
    {
        var block = new byte[512];
        new Random(3).NextBytes(block);
        var sum = BlockChecksum.Compute(block, 512);
        for (var bit = 0; bit < block.Length * 8; bit++)
        {
            block[bit / 8] ^= (byte)(1 << (bit % 8));
            Assert.NotEqual(sum, BlockChecksum.Compute(block, 512));
            block[bit / 8] ^= (byte)(1 << (bit % 8));
        }
    }

    [Fact]
    public void ComputeAllSumsEachBlockSizedChunk()
    {
        var data = new byte[(3 * 512) + 100];
        new Random(5).NextBytes(data);
        var sums = new uint[4];

        BlockChecksum.ComputeAll(data, 512, sums);

        Assert.Equal(4, BlockChecksum.ChunkCount(data.Length, 512));
        for (var i = 0; i < 4; i++)
        {
            var chunk = data.AsSpan(i * 512, Math.Min(512, data.Length - (i * 512)));
            Assert.Equal(BlockChecksum.Compute(chunk, 512), sums[i]);
        }
    }

    [Theory]
    [InlineData(512, true)]
    [InlineData(64 * 1024 * 1024, true)]
    [InlineData(0, false)]
    [InlineData(1000, false)]
    [InlineData(256, false)]
    public void OnlyBlockSizesAreChecksumUnits(int checksumBlock, bool valid) =>
        Assert.Equal(valid, BlockChecksum.Validate(checksumBlock) is null);
}
