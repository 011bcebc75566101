using System.Buffers;
using Pfs.Client.Transport;

namespace Pfs.Client.Striping;

/// <summary>
/// The shards of some stripes of one file, a block each (pooled, zero-padded), with which of them
/// were read; decodes the missing data shards. Shards of different positions may be put concurrently.
/// </summary>
internal sealed class StripeShards : IDisposable
{
    private readonly FileLayout _layout;
    private readonly Dictionary<long, int> _index;
    private readonly byte[][] _buffers;
    private readonly bool[] _present;

    public StripeShards(FileLayout layout, IReadOnlyList<long> stripes)
    {
        _layout = layout;
        Stripes = stripes;
        _index = new Dictionary<long, int>(stripes.Count);
        for (var s = 0; s < stripes.Count; s++)
        {
            _index[stripes[s]] = s;
        }

        _buffers = new byte[stripes.Count * layout.Positions][];
        _present = new bool[_buffers.Length];
        for (var i = 0; i < _buffers.Length; i++)
        {
            _buffers[i] = ArrayPool<byte>.Shared.Rent(layout.BlockSize);
        }
    }

    public IReadOnlyList<long> Stripes { get; }

    public int PresentCount(int stripe)
    {
        var count = 0;
        for (var shard = 0; shard < _layout.Positions; shard++)
        {
            count += Volatile.Read(ref _present[(stripe * _layout.Positions) + shard]) ? 1 : 0;
        }

        return count;
    }

    public bool IsPresent(int stripe, int shard) => Volatile.Read(ref _present[(stripe * _layout.Positions) + shard]);

    /// <summary>The bytes read for <paramref name="stripe"/> at <paramref name="position"/> (short: the rest is zeros).</summary>
    public void Put(long stripe, int position, ReadOnlySpan<byte> bytes)
    {
        var shard = ErasureMath.ShardAt(stripe, position, _layout.Positions);
        var slot = (_index[stripe] * _layout.Positions) + shard;
        var target = _buffers[slot].AsSpan(0, _layout.BlockSize);
        var length = Math.Min(bytes.Length, target.Length);
        bytes[..length].CopyTo(target);
        target[length..].Clear();
        Volatile.Write(ref _present[slot], true);
    }

    /// <summary>Forgets what was read of <paramref name="stripes"/> at <paramref name="position"/> (its server failed part-way).</summary>
    public void Drop(IEnumerable<long> stripes, int position)
    {
        foreach (var stripe in stripes)
        {
            var shard = ErasureMath.ShardAt(stripe, position, _layout.Positions);
            Volatile.Write(ref _present[(_index[stripe] * _layout.Positions) + shard], false);
        }
    }

    /// <summary>Shard <paramref name="shard"/> (0..K-1 data, then parity) of the <paramref name="stripe"/>-th stripe: a block.</summary>
    public Memory<byte> Buffer(int stripe, int shard) => _buffers[(stripe * _layout.Positions) + shard].AsMemory(0, _layout.BlockSize);

    /// <summary>Rebuilds the data shards of the <paramref name="stripe"/>-th stripe that were not read (needs K read).</summary>
    public void DecodeData(int stripe)
    {
        var positions = _layout.Positions;
        var missing = false;
        for (var shard = 0; shard < _layout.Width; shard++)
        {
            missing |= !IsPresent(stripe, shard);
        }

        if (!missing)
        {
            return;
        }

        var (buffers, present) = Shards(stripe);
        _layout.Code!.ReconstructData(buffers, present);
        for (var shard = 0; shard < _layout.Width; shard++)
        {
            Volatile.Write(ref _present[(stripe * positions) + shard], true);
        }
    }

    // Every shard buffer of the stripe-th stripe, and which of them were read: what the codec decodes from.
    private (Memory<byte>[] Buffers, bool[] Present) Shards(int stripe)
    {
        var positions = _layout.Positions;
        var buffers = new Memory<byte>[positions];
        var present = new bool[positions];
        for (var shard = 0; shard < positions; shard++)
        {
            buffers[shard] = Buffer(stripe, shard);
            present[shard] = IsPresent(stripe, shard);
        }

        return (buffers, present);
    }

    /// <summary>Rebuilds every shard (data and parity) of the <paramref name="stripe"/>-th stripe that was not read.</summary>
    public void DecodeAll(int stripe)
    {
        var positions = _layout.Positions;
        if (PresentCount(stripe) == positions)
        {
            return;
        }

        var (buffers, present) = Shards(stripe);
        _layout.Code!.Reconstruct(buffers, present);
        for (var shard = 0; shard < positions; shard++)
        {
            Volatile.Write(ref _present[(stripe * positions) + shard], true);
        }
    }

    public void Dispose()
    {
        foreach (var buffer in _buffers)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
