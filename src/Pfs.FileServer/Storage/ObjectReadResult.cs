using System.Buffers;

namespace Pfs.FileServer.Storage;

/// <summary>
/// The bytes of one read, one entry per requested range, backed by a pooled buffer.
/// The entries are only valid until <see cref="Dispose"/>, which returns the buffer to the pool.
/// </summary>
public sealed class ObjectReadResult : IDisposable
{
    private byte[]? _buffer;

    internal ObjectReadResult(byte[]? buffer, ReadOnlyMemory<byte>[] data)
    {
        _buffer = buffer;
        Data = data;
    }

    /// <summary>One entry per requested range, in order; each holds what exists, so it may be short or empty.</summary>
    public IReadOnlyList<ReadOnlyMemory<byte>> Data { get; }

    /// <summary>With a checksum block: the sum of every block-sized chunk of <see cref="Data"/>, in order (0 for a damaged one).</summary>
    public uint[]? Sums { get; internal set; }

    /// <summary>With a checksum block: the object offsets of the blocks that failed their sum (their bytes in <see cref="Data"/> are zeros).</summary>
    public IReadOnlyList<long> Damaged { get; internal set; } = [];

    /// <summary>Total bytes across all ranges.</summary>
    public long TotalBytes
    {
        get
        {
            long total = 0;
            foreach (var entry in Data)
            {
                total += entry.Length;
            }

            return total;
        }
    }

    internal static ObjectReadResult Empty(int rangeCount)
    {
        var data = new ReadOnlyMemory<byte>[rangeCount];
        Array.Fill(data, ReadOnlyMemory<byte>.Empty);
        return new ObjectReadResult(null, data);
    }

    public void Dispose()
    {
        // Exchange so that a double dispose cannot hand the same array to two renters.
        if (Interlocked.Exchange(ref _buffer, null) is { } buffer)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
