using System.Buffers;

namespace Pfs.Client.Transport;

/// <summary>
/// A ReadBytes reply whose ranges live in one pooled buffer instead of a fresh array each (a
/// 1 MiB range would be a large-object array per call, garbage that piles up until a gen2
/// collection). Dispose it once nothing reads <see cref="Data"/> any more.
/// </summary>
internal sealed class PooledReadReply : IDisposable
{
    private byte[]? _buffer;

    public PooledReadReply(byte[]? buffer, IReadOnlyList<ReadOnlyMemory<byte>> data)
    {
        _buffer = buffer;
        Data = data;
    }

    /// <summary>The sum of every block-sized chunk of <see cref="Data"/>, in order (empty: the server sent none).</summary>
    public IReadOnlyList<uint> Sums { get; init; } = [];

    /// <summary>Object offsets of blocks the server found damaged and withheld.</summary>
    public IReadOnlyList<long> Damaged { get; init; } = [];

    /// <summary>One entry per requested range, in order, as the server sent them.</summary>
    public IReadOnlyList<ReadOnlyMemory<byte>> Data { get; private set; }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _buffer, null) is { } buffer)
        {
            Data = [];
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }
}
