namespace Pfs.Erasure.Benchmarks;

/// <summary>
/// One row of the table: encode, or decode with the first two data shards lost, of one K+M
/// shape and shard size. Every implementation works on the same pinned buffers and is checked
/// against the plain codec's result before it is timed.
/// </summary>
internal sealed class Workload
{
    public Workload(bool decode, int k, int m, int shardSize)
    {
        Decode = decode;
        K = k;
        M = m;
        ShardSize = shardSize;
        var random = new Random(k * 1000 + m);
        Shards = new byte[k + m][];
        for (var i = 0; i < Shards.Length; i++)
        {
            Shards[i] = GC.AllocateUninitializedArray<byte>(shardSize, pinned: true);
            random.NextBytes(Shards[i]);
        }
        var code = new ReedSolomon(k, m);
        code.Encode(Data, Parity);
        Original = Shards.Select(s => s.ToArray()).ToArray();

        Present = Enumerable.Range(0, k + m).Select(i => !decode || i >= 2).ToArray();
        if (decode)
        {
            var plan = code.GetDecodePlan(Present);
            Coefficients = plan.Tables.Coefficients;
            Inputs = plan.Inputs.Select(i => Shards[i]).ToArray();
            Outputs = plan.Outputs.Select(i => Shards[i]).ToArray();
            OutputIndices = plan.Outputs;
        }
        else
        {
            Coefficients = Enumerable.Range(0, m * k).Select(i => code.ParityCoefficient(i / k, i % k)).ToArray();
            Inputs = Shards[..k];
            Outputs = Shards[k..];
            OutputIndices = Enumerable.Range(k, m).ToArray();
        }
    }

    public bool Decode { get; }

    public int K { get; }

    public int M { get; }

    public int ShardSize { get; }

    public byte[][] Shards { get; }

    /// <summary>The encoded stripe, to check each implementation's output against.</summary>
    public byte[][] Original { get; }

    public bool[] Present { get; }

    /// <summary>Rows x K: the parity matrix, or the decode plan's rows for the lost shards.</summary>
    public byte[] Coefficients { get; }

    public byte[][] Inputs { get; }

    public byte[][] Outputs { get; }

    public int[] OutputIndices { get; }

    public ReadOnlyMemory<byte>[] Data => Shards[..K].Select(s => (ReadOnlyMemory<byte>)s).ToArray();

    public Memory<byte>[] Parity => Shards[K..].Select(s => (Memory<byte>)s).ToArray();

    public Memory<byte>[] All => Shards.Select(s => (Memory<byte>)s).ToArray();

    /// <summary>Bytes counted per operation: the data, K x shard size (as klauspost/reedsolomon counts).</summary>
    public long BytesPerOperation => (long)K * ShardSize;

    public string Name => $"{(Decode ? "decode, 2 data lost" : "encode")}";

    /// <summary>Scribbles over the outputs, so that a check after a run sees that run's work.</summary>
    public void SpoilOutputs()
    {
        foreach (var output in Outputs)
        {
            output.AsSpan().Fill(0xA5);
        }
    }

    public bool OutputsAreRight()
    {
        for (var r = 0; r < Outputs.Length; r++)
        {
            if (!Outputs[r].AsSpan().SequenceEqual(Original[OutputIndices[r]]))
            {
                return false;
            }
        }
        return true;
    }
}
