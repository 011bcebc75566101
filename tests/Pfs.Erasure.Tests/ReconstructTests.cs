using Pfs.Erasure.Coding;

namespace Pfs.Erasure.Tests;

public sealed class ReconstructTests
{
    [Fact]
    public void EveryErasurePatternUpToMOfEveryShapeUpToTwelveShardsRecoversTheExactShards()
    {
        var random = new Random(13);
        for (var total = 1; total <= 12; total++)
        {
            for (var k = 1; k <= total; k++)
            {
                var m = total - k;
                var code = new ReedSolomon(k, m);
                var original = Encoded(code, random, length: 100);
                var shards = TestData.Copy(original);
                var memories = TestData.Writable(shards);
                var present = new bool[total];
                foreach (var lost in TestData.Subsets(total, m))
                {
                    Lose(shards, present, lost, random);
                    code.Reconstruct(memories, present);
                    for (var i = 0; i < total; i++)
                    {
                        if (!original[i].AsSpan().SequenceEqual(shards[i]))
                        {
                            Assert.Fail($"{k}+{m}, lost {lost:b}: shard {i} differs");
                        }
                    }
                }
            }
        }
    }

    [Fact]
    public void ReconstructDataRebuildsTheDataAndLeavesMissingParityAlone()
    {
        var random = new Random(14);
        for (var total = 2; total <= 12; total++)
        {
            for (var k = 1; k < total; k++)
            {
                var m = total - k;
                var code = new ReedSolomon(k, m);
                var original = Encoded(code, random, length: 77);
                var shards = TestData.Copy(original);
                var memories = TestData.Writable(shards);
                var present = new bool[total];
                var garbage = TestData.Zeroed(m, 77);
                foreach (var lost in TestData.Subsets(total, m))
                {
                    Lose(shards, present, lost, random);
                    for (var i = k; i < total; i++)
                    {
                        shards[i].CopyTo(garbage[i - k]);
                    }
                    code.ReconstructData(memories, present);
                    for (var i = 0; i < total; i++)
                    {
                        var expected = i < k ? original[i] : garbage[i - k];
                        if (!expected.AsSpan().SequenceEqual(shards[i]))
                        {
                            Assert.Fail($"{k}+{m}, lost {lost:b}: shard {i}");
                        }
                    }
                    for (var i = k; i < total; i++)
                    {
                        original[i].CopyTo(shards[i]);
                    }
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(TestData.SupportedKernels), MemberType = typeof(TestData))]
    public void EveryKernelRecoversRandomPatternsOfEveryShape(string kernelName)
    {
        var kernel = TestData.Kernel(kernelName);
        var random = new Random(15);
        for (var total = 2; total <= 12; total++)
        {
            for (var k = 1; k < total; k++)
            {
                var m = total - k;
                var code = new ReedSolomon(k, m, kernel);
                var original = Encoded(code, random, length: 64 * 5 + 13);
                var shards = TestData.Copy(original);
                var present = new bool[total];
                for (var trial = 0; trial < 4; trial++)
                {
                    // Always the worst case, M shards lost, picked at random.
                    var lost = 0;
                    foreach (var i in Enumerable.Range(0, total).OrderBy(_ => random.Next()).Take(m))
                    {
                        lost |= 1 << i;
                    }
                    Lose(shards, present, lost, random);
                    code.Reconstruct(TestData.Writable(shards), present);
                    for (var i = 0; i < total; i++)
                    {
                        if (!original[i].AsSpan().SequenceEqual(shards[i]))
                        {
                            Assert.Fail($"{kernel} {k}+{m}, lost {lost:b}: shard {i}");
                        }
                    }
                }
            }
        }
    }

    [Fact]
    public void FewerThanKPresentShardsIsAClearErrorAndChangesNothing()
    {
        var random = new Random(16);
        var code = new ReedSolomon(4, 2);
        var shards = Encoded(code, random, length: 50);
        var before = TestData.Copy(shards);
        bool[] present = [true, false, true, false, false, true];

        var error = Assert.Throws<NotEnoughShardsException>(() => code.Reconstruct(TestData.Writable(shards), present));
        Assert.Equal(4, error.Required);
        Assert.Equal(3, error.Present);
        Assert.Contains("at least 4", error.Message);
        Assert.Throws<NotEnoughShardsException>(() => code.ReconstructData(TestData.Writable(shards), present));
        TestData.AssertSameShards(before, shards, "after the refusal");
    }

    [Fact]
    public void MismatchedShardCountsAndLengthsAreRefused()
    {
        var code = new ReedSolomon(2, 1);
        var shards = TestData.Writable(TestData.Zeroed(3, 8));
        Assert.Throws<ArgumentException>(() => code.Reconstruct(shards.AsSpan(..2), [true, true]));
        Assert.Throws<ArgumentException>(() => code.Reconstruct(shards, [true, true]));
        Assert.Throws<ArgumentException>(() => code.Reconstruct([shards[0], shards[1], new byte[7]], [true, true, false]));
    }

    [Fact]
    public void ARepeatedPatternReusesItsDecodePlan()
    {
        var random = new Random(17);
        var code = new ReedSolomon(5, 3);
        var original = Encoded(code, random, length: 200);
        var shards = TestData.Copy(original);
        var present = new bool[8];
        for (var round = 0; round < 50; round++)
        {
            Lose(shards, present, 0b0100_0011, random);
            code.Reconstruct(TestData.Writable(shards), present);
            TestData.AssertSameShards(original, shards, $"round {round}");
        }
        Assert.Equal(1, code.DecodePlans.Builds);
        Assert.Equal(1, code.DecodePlans.Count);
    }

    [Fact]
    public void TheDecodePlanCacheStaysWithinItsCapacity()
    {
        var random = new Random(18);
        var code = new ReedSolomon(6, 4, GfKernels.Best, decodeCacheCapacity: 8);
        var original = Encoded(code, random, length: 64);
        var shards = TestData.Copy(original);
        var present = new bool[10];
        var patterns = 0;
        foreach (var lost in TestData.Subsets(10, 4).Where(p => p != 0))
        {
            Lose(shards, present, lost, random);
            code.Reconstruct(TestData.Writable(shards), present);
            TestData.AssertSameShards(original, shards, $"lost {lost:b}");
            Assert.InRange(code.DecodePlans.Count, 1, 8);
            patterns++;
        }
        Assert.Equal(patterns, code.DecodePlans.Builds);
    }

    [Fact]
    public void EncodeAndReconstructAllocateNothingOnceThePlanExists()
    {
        var random = new Random(19);
        var code = new ReedSolomon(4, 2);
        var data = TestData.ReadOnly(TestData.RandomShards(random, 4, 4096));
        var parityShards = TestData.Zeroed(2, 4096);
        var parity = TestData.Writable(parityShards);
        var shards = TestData.Writable([.. data.Select(d => d.ToArray()), .. parityShards]);
        bool[] present = [false, true, false, true, true, true];
        var delta = new byte[100];

        code.Encode(data, parity);
        code.Reconstruct(shards, present);
        code.UpdateParity(1, delta, [parity[0][..100], parity[1][..100]]);
        Memory<byte>[] parityHeads = [parity[0][..100], parity[1][..100]];

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10; i++)
        {
            code.Encode(data, parity);
            code.Reconstruct(shards, present);
            code.UpdateParity(1, delta, parityHeads);
        }
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    internal static byte[][] Encoded(ReedSolomon code, Random random, int length)
    {
        var shards = TestData.RandomShards(random, code.TotalShards, length);
        code.Encode(TestData.ReadOnly(shards[..code.DataShards]), TestData.Writable(shards[code.DataShards..]));
        return shards;
    }

    /// <summary>Marks the shards in <paramref name="lost"/> missing and fills them with garbage.</summary>
    private static void Lose(byte[][] shards, bool[] present, int lost, Random random)
    {
        for (var i = 0; i < shards.Length; i++)
        {
            present[i] = (lost & (1 << i)) == 0;
            if (!present[i])
            {
                random.NextBytes(shards[i]);
            }
        }
    }
}
