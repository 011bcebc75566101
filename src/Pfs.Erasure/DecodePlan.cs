using Pfs.Erasure.Coding;
using Pfs.Erasure.Galois;

namespace Pfs.Erasure;

/// <summary>
/// How to rebuild the missing shards of one erasure pattern: which K present shards are read,
/// and one coefficient row per missing shard (missing data shards first, in index order, then
/// missing parity shards), so that every missing shard comes out of one pass over the inputs.
/// </summary>
internal sealed class DecodePlan
{
    private DecodePlan(int[] inputs, int[] outputs, int missingData, CodingTables tables)
    {
        Inputs = inputs;
        Outputs = outputs;
        MissingData = missingData;
        Tables = tables;
    }

    /// <summary>The K shards read: the first K present ones.</summary>
    public int[] Inputs { get; }

    /// <summary>The missing shards, data shards first; row r of <see cref="Tables"/> makes Outputs[r].</summary>
    public int[] Outputs { get; }

    /// <summary>How many of <see cref="Outputs"/> are data shards (they come first).</summary>
    public int MissingData { get; }

    public CodingTables Tables { get; }

    /// <param name="dataShards">K.</param>
    /// <param name="parityShards">M.</param>
    /// <param name="parity">The M x K parity matrix of the code.</param>
    /// <param name="present">The shards at hand; at least K.</param>
    /// <param name="kernel">The kernel the plan's tables are made for.</param>
    public static DecodePlan Create(int dataShards, int parityShards, byte[] parity, ShardSet present, GfKernel kernel)
    {
        var k = dataShards;
        var total = dataShards + parityShards;
        var inputs = new int[k];
        var outputs = new List<int>();
        var found = 0;
        for (var i = 0; i < total; i++)
        {
            if (present.Contains(i) && found < k)
            {
                inputs[found++] = i;
            }
            else if (!present.Contains(i))
            {
                outputs.Add(i);
            }
        }
        if (found < k)
        {
            throw new NotEnoughShardsException(k, found);
        }

        // The rows of the generator [I; P] for the shards read: inputs = sub * data.
        var sub = new byte[k * k];
        for (var r = 0; r < k; r++)
        {
            var shard = inputs[r];
            if (shard < k)
            {
                sub[r * k + shard] = 1;
            }
            else
            {
                parity.AsSpan((shard - k) * k, k).CopyTo(sub.AsSpan(r * k, k));
            }
        }
        var inverse = GfMatrix.Invert(sub, k);

        // Missing data shard d is row d of the inverse; missing parity p is P[p] * inverse.
        var coefficients = new byte[outputs.Count * k];
        var missingData = 0;
        for (var r = 0; r < outputs.Count; r++)
        {
            var shard = outputs[r];
            var row = coefficients.AsSpan(r * k, k);
            if (shard < k)
            {
                inverse.AsSpan(shard * k, k).CopyTo(row);
                missingData++;
                continue;
            }
            for (var j = 0; j < k; j++)
            {
                byte sum = 0;
                for (var l = 0; l < k; l++)
                {
                    sum ^= GaloisField.Mul(parity[(shard - k) * k + l], inverse[l * k + j]);
                }
                row[j] = sum;
            }
        }
        return new DecodePlan(inputs, outputs.ToArray(), missingData, new CodingTables(coefficients, outputs.Count, k, kernel));
    }
}
