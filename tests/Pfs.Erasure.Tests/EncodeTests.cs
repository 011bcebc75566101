using Pfs.Erasure.Coding;
using Pfs.Erasure.Tests.Reference;

namespace Pfs.Erasure.Tests;

public sealed class EncodeTests
{
    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(31)]
    [InlineData(63)]
    [InlineData(64)]
    [InlineData(65)]
    [InlineData(127)] // the edges of the two-vector and one-vector loops of each width
    [InlineData(128)]
    [InlineData(192)]
    [InlineData(255)]
    [InlineData(4095)]
    [InlineData(1024 * 1024 + 3)]
    public void EveryKernelWritesTheReferenceParityForAnAwkwardLength(int length)
    {
        var random = new Random(length);
        foreach (var (k, m) in new[] { (4, 2), (5, 3) })
        {
            if (length > 4096 && k != 4)
            {
                continue; // the slow reference once on the large shard is enough
            }
            var data = TestData.RandomShards(random, k, length);
            var expected = ReferenceCodec.Encode(data, m);
            foreach (var kernel in GfKernels.Supported)
            {
                var parity = TestData.RandomShards(random, m, length); // garbage to be overwritten
                new ReedSolomon(k, m, kernel).Encode(TestData.ReadOnly(data), TestData.Writable(parity));
                for (var i = 0; i < m; i++)
                {
                    if (!expected[i].AsSpan().SequenceEqual(parity[i]))
                    {
                        Assert.Fail($"{kernel} {k}+{m}, length {length}: parity {i} differs");
                    }
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(TestData.SupportedKernels), MemberType = typeof(TestData))]
    public void EveryShapeUpToTwelveShardsMatchesTheReference(string kernelName)
    {
        var kernel = TestData.Kernel(kernelName);
        var random = new Random(12);
        for (var total = 1; total <= 12; total++)
        {
            for (var k = 1; k <= total; k++)
            {
                var m = total - k;
                // Several vectors of every width, a partial one and a scalar tail.
                var length = 64 * 3 + 17 + random.Next(40);
                var data = TestData.RandomShards(random, k, length);
                var expected = ReferenceCodec.Encode(data, m);
                var parity = TestData.RandomShards(random, m, length);
                new ReedSolomon(k, m, kernel).Encode(TestData.ReadOnly(data), TestData.Writable(parity));
                for (var i = 0; i < m; i++)
                {
                    if (!expected[i].AsSpan().SequenceEqual(parity[i]))
                    {
                        Assert.Fail($"{kernel} {k}+{m}: parity {i} differs");
                    }
                }
            }
        }
    }

    [Fact]
    public void OneDataShardIsMirroredToEveryParityShard()
    {
        var random = new Random(1);
        for (var m = 0; m <= 11; m++)
        {
            foreach (var kernel in GfKernels.Supported)
            {
                var code = new ReedSolomon(1, m, kernel);
                for (var i = 0; i < m; i++)
                {
                    Assert.Equal(1, code.ParityCoefficient(i, 0));
                }
                var data = TestData.RandomShards(random, 1, 1000);
                var parity = TestData.RandomShards(random, m, 1000);
                code.Encode(TestData.ReadOnly(data), TestData.Writable(parity));
                foreach (var copy in parity)
                {
                    Assert.Equal(data[0], copy);
                }
            }
        }
    }

    [Fact]
    public void TheFirstParityShardIsTheXorOfTheData()
    {
        var random = new Random(2);
        var data = TestData.RandomShards(random, 6, 333);
        var parity = TestData.Zeroed(3, 333);
        new ReedSolomon(6, 3).Encode(TestData.ReadOnly(data), TestData.Writable(parity));
        var xor = new byte[333];
        foreach (var shard in data)
        {
            for (var b = 0; b < xor.Length; b++)
            {
                xor[b] ^= shard[b];
            }
        }
        Assert.Equal(xor, parity[0]);
    }

    [Fact]
    public void ShardsThatAreSlicesOfOneBufferAtOddOffsetsEncodeCorrectly()
    {
        const int k = 3, m = 2, length = 257;
        var random = new Random(3);
        var buffer = new byte[(k + m) * length + 5];
        random.NextBytes(buffer);
        var data = new ReadOnlyMemory<byte>[k];
        var parity = new Memory<byte>[m];
        for (var i = 0; i < k; i++)
        {
            data[i] = buffer.AsMemory(1 + i * length, length);
        }
        for (var i = 0; i < m; i++)
        {
            parity[i] = buffer.AsMemory(1 + (k + i) * length, length);
        }
        var expected = ReferenceCodec.Encode(data.Select(d => d.ToArray()).ToArray(), m);
        new ReedSolomon(k, m).Encode(data, parity);
        for (var i = 0; i < m; i++)
        {
            Assert.Equal(expected[i], parity[i].ToArray());
        }
    }

    [Fact]
    public void EncodingAWholeStripeListWritesTheSameParity()
    {
        var random = new Random(5);
        var data = TestData.RandomShards(random, 5, 1500);
        var expected = ReferenceCodec.Encode(data, 3);
        byte[][] stripe = [.. TestData.Copy(data), .. TestData.RandomShards(random, 3, 1500)];

        new ReedSolomon(5, 3).Encode(TestData.Writable(stripe));

        TestData.AssertSameShards([.. data, .. expected], stripe, "stripe");
        Assert.Throws<ArgumentException>(() => new ReedSolomon(5, 3).Encode(TestData.Writable(stripe[..7])));
    }

    [Fact]
    public void VerifyAcceptsEncodedShardsAndRejectsADamagedOne()
    {
        var random = new Random(4);
        var code = new ReedSolomon(4, 2);
        var shards = TestData.RandomShards(random, 6, 100);
        code.Encode(TestData.ReadOnly(shards[..4]), TestData.Writable(shards[4..]));
        Assert.True(code.Verify(TestData.ReadOnly(shards)));
        shards[2][50] ^= 0x40;
        Assert.False(code.Verify(TestData.ReadOnly(shards)));
    }

    [Fact]
    public void WrongShardCountsAndLengthsAreRefused()
    {
        var code = new ReedSolomon(3, 2);
        var data = TestData.ReadOnly(TestData.Zeroed(3, 10));
        var parity = TestData.Writable(TestData.Zeroed(2, 10));
        Assert.Throws<ArgumentException>(() => code.Encode(data.AsSpan(..2), parity));
        Assert.Throws<ArgumentException>(() => code.Encode(data, parity.AsSpan(..1)));
        Assert.Throws<ArgumentException>(() => code.Encode(data, [parity[0], new byte[11]]));
        Assert.Throws<ArgumentException>(() => code.Encode([data[0], data[1], new byte[9]], parity));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReedSolomon(0, 2));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReedSolomon(2, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReedSolomon(200, 56));
        Assert.Equal(255, new ReedSolomon(200, 55).TotalShards);
    }
}
