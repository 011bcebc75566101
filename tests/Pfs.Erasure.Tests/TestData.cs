namespace Pfs.Erasure.Tests;

internal static class TestData
{
    public static byte[][] RandomShards(Random random, int count, int length)
    {
        var shards = new byte[count][];
        for (var i = 0; i < count; i++)
        {
            shards[i] = new byte[length];
            random.NextBytes(shards[i]);
        }
        return shards;
    }

    public static byte[][] Zeroed(int count, int length)
    {
        var shards = new byte[count][];
        for (var i = 0; i < count; i++)
        {
            shards[i] = new byte[length];
        }
        return shards;
    }

    public static byte[][] Copy(byte[][] shards) => shards.Select(s => s.ToArray()).ToArray();

    public static ReadOnlyMemory<byte>[] ReadOnly(byte[][] shards) => shards.Select(s => (ReadOnlyMemory<byte>)s).ToArray();

    public static Memory<byte>[] Writable(byte[][] shards) => shards.Select(s => (Memory<byte>)s).ToArray();

    /// <summary>Every set of at most <paramref name="maxSize"/> indices below <paramref name="n"/>, as bit masks.</summary>
    public static IEnumerable<int> Subsets(int n, int maxSize)
    {
        for (var mask = 0; mask < 1 << n; mask++)
        {
            if (System.Numerics.BitOperations.PopCount((uint)mask) <= maxSize)
            {
                yield return mask;
            }
        }
    }

    /// <summary>Shard by shard with a span comparison: Assert.Equal on nested arrays is slow.</summary>
    public static void AssertSameShards(byte[][] expected, byte[][] actual, string context)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(expected[i].AsSpan().SequenceEqual(actual[i]), $"{context}: shard {i} differs");
        }
    }

    public static TheoryData<string> SupportedKernels()
    {
        var data = new TheoryData<string>();
        foreach (var kernel in Coding.GfKernels.Supported)
        {
            data.Add(kernel.ToString());
        }
        return data;
    }

    public static Coding.GfKernel Kernel(string name) => Enum.Parse<Coding.GfKernel>(name);
}
