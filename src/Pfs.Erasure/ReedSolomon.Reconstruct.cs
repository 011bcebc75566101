using System.Buffers;
using Pfs.Erasure.Coding;

namespace Pfs.Erasure;

public sealed partial class ReedSolomon
{
    /// <summary>
    /// Rebuilds, in place, every shard whose <paramref name="present"/> flag is false (data and
    /// parity) from K present ones. Every buffer, missing ones included, must have the length of
    /// the others. Present shards are only read.
    /// </summary>
    /// <exception cref="NotEnoughShardsException">Fewer than K shards are present.</exception>
    public void Reconstruct(ReadOnlySpan<Memory<byte>> shards, ReadOnlySpan<bool> present) =>
        Rebuild(shards, present, dataOnly: false);

    /// <summary>
    /// Like <see cref="Reconstruct"/>, but rebuilds only the missing data shards; the buffers of
    /// missing parity shards are left as they are.
    /// </summary>
    /// <exception cref="NotEnoughShardsException">Fewer than K shards are present.</exception>
    public void ReconstructData(ReadOnlySpan<Memory<byte>> shards, ReadOnlySpan<bool> present) =>
        Rebuild(shards, present, dataOnly: true);

    /// <summary>
    /// True when the parity shards (the last M of <paramref name="shards"/>) are what the data
    /// shards encode to. Allocates scratch parity; meant for checks, not the data path.
    /// </summary>
    public bool Verify(ReadOnlySpan<ReadOnlyMemory<byte>> shards)
    {
        if (shards.Length != TotalShards)
        {
            throw new ArgumentException($"Expected {TotalShards} shards, got {shards.Length}.", nameof(shards));
        }
        var length = shards[0].Length;
        var scratch = new Memory<byte>[ParityShards];
        for (var i = 0; i < ParityShards; i++)
        {
            scratch[i] = new byte[length];
        }
        Encode(shards[..DataShards], scratch);
        for (var i = 0; i < ParityShards; i++)
        {
            if (!scratch[i].Span.SequenceEqual(shards[DataShards + i].Span))
            {
                return false;
            }
        }
        return true;
    }

    /// <summary>The plan for a pattern of present shards (the benchmark feeds it to ISA-L).</summary>
    internal DecodePlan GetDecodePlan(ReadOnlySpan<bool> present) => _decoders.Get(ShardSet.FromFlags(present));

    private unsafe void Rebuild(ReadOnlySpan<Memory<byte>> shards, ReadOnlySpan<bool> present, bool dataOnly)
    {
        if (shards.Length != TotalShards)
        {
            throw new ArgumentException($"Expected {TotalShards} shards, got {shards.Length}.", nameof(shards));
        }
        if (present.Length != TotalShards)
        {
            throw new ArgumentException($"Expected {TotalShards} presence flags, got {present.Length}.", nameof(present));
        }
        var length = shards[0].Length;
        foreach (var shard in shards)
        {
            CheckLength(shard.Length, length, nameof(shards));
        }
        var count = 0;
        var dataMissing = false;
        for (var i = 0; i < present.Length; i++)
        {
            if (present[i])
            {
                count++;
            }
            else if (i < DataShards)
            {
                dataMissing = true;
            }
        }
        if (count < DataShards)
        {
            throw new NotEnoughShardsException(DataShards, count, nameof(present));
        }
        if (count == TotalShards || (dataOnly && !dataMissing) || length == 0)
        {
            return;
        }

        var plan = _decoders.Get(ShardSet.FromFlags(present));
        var rows = dataOnly ? plan.MissingData : plan.Outputs.Length;
        var total = DataShards + rows;
        var buffers = ArrayPool<ReadOnlyMemory<byte>>.Shared.Rent(total);
        try
        {
            for (var j = 0; j < DataShards; j++)
            {
                buffers[j] = shards[plan.Inputs[j]];
            }
            for (var r = 0; r < rows; r++)
            {
                buffers[DataShards + r] = shards[plan.Outputs[r]];
            }
            var slots = stackalloc byte*[total];
            var call = new CodingCall(_kernel, plan.Tables, rows, slots, slots + DataShards, length, accumulate: false);
            call.PinAndRun(buffers.AsSpan(0, total), slots);
        }
        finally
        {
            Array.Clear(buffers, 0, total);
            ArrayPool<ReadOnlyMemory<byte>>.Shared.Return(buffers);
        }
    }
}
