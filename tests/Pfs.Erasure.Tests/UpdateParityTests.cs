using CsCheck;
using Pfs.Erasure.Coding;

namespace Pfs.Erasure.Tests;

public sealed class UpdateParityTests
{
    private static readonly Gen<(int K, int M, int Length, int Seed)> Shapes =
        Gen.Select(Gen.Int[1, 10], Gen.Int[0, 5], Gen.Int[1, 700], Gen.Int);

    [Fact]
    public void UpdatingParityWithTheDeltaOfARangeEqualsEncodingTheNewData()
    {
        Shapes.Sample(shape =>
        {
            var (k, m, length, seed) = shape;
            var random = new Random(seed);
            foreach (var kernel in GfKernels.Supported)
            {
                var code = new ReedSolomon(k, m, kernel);
                var shards = ReconstructTests.Encoded(code, random, length);
                var index = random.Next(k);
                var offset = random.Next(length);
                var count = random.Next(length - offset + 1);

                var newBytes = new byte[count];
                random.NextBytes(newBytes);
                var delta = new byte[count];
                for (var b = 0; b < count; b++)
                {
                    delta[b] = (byte)(shards[index][offset + b] ^ newBytes[b]);
                }
                newBytes.CopyTo(shards[index], offset);
                var parityRanges = shards[k..].Select(p => p.AsMemory(offset, count)).ToArray();
                code.UpdateParity(index, delta, parityRanges);

                var expected = TestData.Zeroed(m, length);
                code.Encode(TestData.ReadOnly(shards[..k]), TestData.Writable(expected));
                for (var i = 0; i < m; i++)
                {
                    if (!expected[i].AsSpan().SequenceEqual(shards[k + i]))
                    {
                        Assert.Fail($"{kernel} {k}+{m} data {index} [{offset}, +{count}): parity {i}");
                    }
                }
            }
        }, iter: 150);
    }

    [Fact]
    public void AWrongDataIndexOrParityLengthIsRefused()
    {
        var code = new ReedSolomon(3, 2);
        var parity = TestData.Writable(TestData.Zeroed(2, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => code.UpdateParity(3, new byte[10], parity));
        Assert.Throws<ArgumentOutOfRangeException>(() => code.UpdateParity(-1, new byte[10], parity));
        Assert.Throws<ArgumentException>(() => code.UpdateParity(0, new byte[9], parity));
        Assert.Throws<ArgumentException>(() => code.UpdateParity(0, new byte[10], parity.AsSpan(..1)));
    }
}
