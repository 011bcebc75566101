using System.Buffers;
using Pfs.Erasure.Coding;
using Pfs.Erasure.Galois;

namespace Pfs.Erasure;

/// <summary>
/// Systematic Reed-Solomon erasure coding over GF(2^8): K data shards and M parity shards of
/// equal length, any K of which rebuild the rest. With K = 1 every parity shard is a copy of
/// the data shard (mirroring with M + 1 copies).
/// </summary>
/// <remarks>
/// The generator is [I; P] with P a Cauchy matrix whose first row and first column are scaled
/// to ones (see <see cref="GfMatrix.Parity"/>), in the field of ISA-L (polynomial 0x11D).
/// One instance is safe for concurrent use: it is immutable apart from its bounded cache of
/// decode plans. Encode, reconstruct and update allocate nothing once a pattern's plan exists.
/// </remarks>
public sealed partial class ReedSolomon
{
    /// <summary>The most shards a code over GF(2^8) can have here (the Cauchy points are bytes).</summary>
    public const int MaxTotalShards = 255;

    internal const int DefaultDecodeCacheCapacity = 256;

    private readonly GfKernel _kernel;
    private readonly byte[] _parity;
    private readonly CodingTables _encoder;
    private readonly CodingTables[] _updaters;
    private readonly DecodePlanCache _decoders;

    /// <summary>Creates a code with <paramref name="dataShards"/> data and <paramref name="parityShards"/> parity shards.</summary>
    public ReedSolomon(int dataShards, int parityShards)
        : this(dataShards, parityShards, GfKernels.Best, DefaultDecodeCacheCapacity)
    {
    }

    /// <summary>A code that uses <paramref name="kernel"/>, for tests and benchmarks.</summary>
    internal ReedSolomon(int dataShards, int parityShards, GfKernel kernel, int decodeCacheCapacity = DefaultDecodeCacheCapacity)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(dataShards, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(parityShards);
        if (dataShards + parityShards > MaxTotalShards)
        {
            throw new ArgumentOutOfRangeException(nameof(parityShards), $"K + M must be at most {MaxTotalShards}.");
        }
        if (!GfKernels.IsSupported(kernel))
        {
            throw new PlatformNotSupportedException($"The {GfKernels.Name(kernel)} kernel is not supported on this machine.");
        }
        ArgumentOutOfRangeException.ThrowIfLessThan(decodeCacheCapacity, 1);

        DataShards = dataShards;
        ParityShards = parityShards;
        _kernel = kernel;
        _parity = GfMatrix.Parity(dataShards, parityShards);
        _encoder = new CodingTables(_parity, parityShards, dataShards, kernel);
        _updaters = new CodingTables[dataShards];
        var column = new byte[parityShards];
        for (var j = 0; j < dataShards; j++)
        {
            for (var i = 0; i < parityShards; i++)
            {
                column[i] = _parity[i * dataShards + j];
            }
            _updaters[j] = new CodingTables(column, parityShards, 1, kernel);
        }
        _decoders = new DecodePlanCache(decodeCacheCapacity, present => DecodePlan.Create(DataShards, ParityShards, _parity, present, kernel));
    }

    /// <summary>K: the number of data shards.</summary>
    public int DataShards { get; }

    /// <summary>M: the number of parity shards.</summary>
    public int ParityShards { get; }

    /// <summary>K + M.</summary>
    public int TotalShards => DataShards + ParityShards;

    internal GfKernel Kernel => _kernel;

    internal DecodePlanCache DecodePlans => _decoders;

    /// <summary>The coefficient of data shard <paramref name="dataIndex"/> in parity shard <paramref name="parityIndex"/>.</summary>
    internal byte ParityCoefficient(int parityIndex, int dataIndex) => _parity[parityIndex * DataShards + dataIndex];

    /// <summary>Writes the M parity shards of the K data shards (all of one length).</summary>
    public void Encode(ReadOnlySpan<ReadOnlyMemory<byte>> data, ReadOnlySpan<Memory<byte>> parity)
    {
        if (data.Length != DataShards)
        {
            throw new ArgumentException($"Expected {DataShards} data shards, got {data.Length}.", nameof(data));
        }
        if (parity.Length != ParityShards)
        {
            throw new ArgumentException($"Expected {ParityShards} parity shards, got {parity.Length}.", nameof(parity));
        }
        var buffers = ArrayPool<ReadOnlyMemory<byte>>.Shared.Rent(TotalShards);
        try
        {
            data.CopyTo(buffers);
            for (var i = 0; i < parity.Length; i++)
            {
                buffers[DataShards + i] = parity[i];
            }
            Encode(buffers);
        }
        finally
        {
            Array.Clear(buffers, 0, TotalShards);
            ArrayPool<ReadOnlyMemory<byte>>.Shared.Return(buffers);
        }
    }

    /// <summary>
    /// Writes the last M of the K + M <paramref name="shards"/> (all of one length) as the parity
    /// of the first K: the same as the other overload, for a caller holding the stripe in one list.
    /// </summary>
    public void Encode(ReadOnlySpan<Memory<byte>> shards)
    {
        if (shards.Length != TotalShards)
        {
            throw new ArgumentException($"Expected {TotalShards} shards, got {shards.Length}.", nameof(shards));
        }
        var buffers = ArrayPool<ReadOnlyMemory<byte>>.Shared.Rent(TotalShards);
        try
        {
            for (var i = 0; i < shards.Length; i++)
            {
                buffers[i] = shards[i];
            }
            Encode(buffers);
        }
        finally
        {
            Array.Clear(buffers, 0, TotalShards);
            ArrayPool<ReadOnlyMemory<byte>>.Shared.Return(buffers);
        }
    }

    // buffers: the K data shards, then the M parity shards (writable memory).
    private unsafe void Encode(ReadOnlyMemory<byte>[] buffers)
    {
        var length = buffers[0].Length;
        for (var i = 0; i < TotalShards; i++)
        {
            CheckLength(buffers[i].Length, length, i < DataShards ? "data" : "parity");
        }
        if (ParityShards == 0 || length == 0)
        {
            return;
        }
        var slots = stackalloc byte*[TotalShards];
        var call = new CodingCall(_kernel, _encoder, ParityShards, slots, slots + DataShards, length, accumulate: false);
        call.PinAndRun(buffers.AsSpan(0, TotalShards), slots);
    }

    /// <summary>
    /// Adds the change of one data shard to the parity shards: parity[i] ^= P[i, dataIndex] *
    /// delta, where delta = old ^ new over the changed range of data shard
    /// <paramref name="dataIndex"/> and the parity spans are the same range of each parity
    /// shard. A partial-stripe write so touches neither the other data shards nor the rest.
    /// </summary>
    public unsafe void UpdateParity(int dataIndex, ReadOnlySpan<byte> delta, ReadOnlySpan<Memory<byte>> parity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(dataIndex);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(dataIndex, DataShards);
        if (parity.Length != ParityShards)
        {
            throw new ArgumentException($"Expected {ParityShards} parity shards, got {parity.Length}.", nameof(parity));
        }
        foreach (var shard in parity)
        {
            CheckLength(shard.Length, delta.Length, nameof(parity));
        }
        if (ParityShards == 0 || delta.IsEmpty)
        {
            return;
        }

        var buffers = ArrayPool<ReadOnlyMemory<byte>>.Shared.Rent(ParityShards);
        try
        {
            for (var i = 0; i < parity.Length; i++)
            {
                buffers[i] = parity[i];
            }
            var slots = stackalloc byte*[1 + ParityShards];
            fixed (byte* input = delta)
            {
                slots[0] = input;
                var call = new CodingCall(_kernel, _updaters[dataIndex], ParityShards, slots, slots + 1, delta.Length, accumulate: true);
                call.PinAndRun(buffers.AsSpan(0, ParityShards), slots + 1);
            }
        }
        finally
        {
            Array.Clear(buffers, 0, ParityShards);
            ArrayPool<ReadOnlyMemory<byte>>.Shared.Return(buffers);
        }
    }

    private static void CheckLength(int actual, int expected, string paramName)
    {
        if (actual != expected)
        {
            throw new ArgumentException($"All shards must have the same length ({expected} bytes); one has {actual}.", paramName);
        }
    }
}
