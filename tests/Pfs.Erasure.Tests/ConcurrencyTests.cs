namespace Pfs.Erasure.Tests;

public sealed class ConcurrencyTests
{
    [Fact]
    public async Task OneInstanceServesManyThreadsAtOnce()
    {
        // A small plan cache, so threads also build, evict and look up plans concurrently.
        var code = new ReedSolomon(6, 3, Coding.GfKernels.Best, decodeCacheCapacity: 3);
        var patterns = TestData.Subsets(9, 3).Where(p => p != 0).ToArray();
        using var start = new Barrier(4);

        var workers = Enumerable.Range(0, 4).Select(worker => Task.Run(() =>
        {
            var random = new Random(worker);
            start.SignalAndWait(TimeSpan.FromSeconds(30));
            for (var round = 0; round < 150; round++)
            {
                var original = ReconstructTests.Encoded(code, random, length: 1000 + worker);
                var shards = TestData.Copy(original);
                var lost = patterns[random.Next(patterns.Length)];
                var present = new bool[9];
                for (var i = 0; i < 9; i++)
                {
                    present[i] = (lost & (1 << i)) == 0;
                    if (!present[i])
                    {
                        Array.Clear(shards[i]);
                    }
                }
                code.Reconstruct(TestData.Writable(shards), present);
                TestData.AssertSameShards(original, shards, $"worker {worker}, lost {lost:b}");
            }
        })).ToArray();

        await Task.WhenAll(workers).WaitAsync(TimeSpan.FromSeconds(60));
        Assert.InRange(code.DecodePlans.Count, 1, 3);
    }
}
