using CsCheck;
using Pfs.Erasure.Coding;

namespace Pfs.Erasure.Tests;

public sealed class PropertyTests
{
    [Fact]
    public void AnyKShardsOfARandomStripeRebuildTheOthersWithAnyKernel()
    {
        var cases = Gen.Select(Gen.Int[1, 16], Gen.Int[0, 8], Gen.Int[0, 3000], Gen.Int[0, GfKernels.Supported.Count - 1], Gen.Int);
        cases.Sample(c =>
        {
            var (k, m, length, kernelIndex, seed) = c;
            var random = new Random(seed);
            var kernel = GfKernels.Supported[kernelIndex];
            var code = new ReedSolomon(k, m, kernel);
            var original = ReconstructTests.Encoded(code, random, length);
            var shards = TestData.Copy(original);
            var present = Enumerable.Repeat(true, k + m).ToArray();
            foreach (var i in Enumerable.Range(0, k + m).OrderBy(_ => random.Next()).Take(random.Next(m + 1)))
            {
                present[i] = false;
                random.NextBytes(shards[i]);
            }
            code.Reconstruct(TestData.Writable(shards), present);
            TestData.AssertSameShards(original, shards, $"{kernel} {k}+{m}, length {length}");
        }, iter: 200);
    }
}
