using System.Collections.Concurrent;

namespace Pfs.Fuse.Session;

/// <summary>
/// Request-sized buffers (max_write plus headers) for the device readers and for READ replies.
/// The arrays are pinned, so the read(2) and write(2) calls need no pinning of their own, and at
/// most <c>retain</c> idle ones are kept.
/// </summary>
internal sealed class BufferPool
{
    private readonly ConcurrentStack<byte[]> _idle = new();
    private readonly int _retain;
    private int _idleCount;

    public BufferPool(int bufferSize, int retain)
    {
        BufferSize = bufferSize;
        _retain = retain;
    }

    public int BufferSize { get; }

    public byte[] Rent()
    {
        if (_idle.TryPop(out var buffer))
        {
            Interlocked.Decrement(ref _idleCount);
            return buffer;
        }
        return GC.AllocateUninitializedArray<byte>(BufferSize, pinned: true);
    }

    public void Return(byte[] buffer)
    {
        if (buffer.Length != BufferSize)
            throw new ArgumentException("The buffer does not come from this pool.", nameof(buffer));
        if (Interlocked.Increment(ref _idleCount) > _retain)
        {
            Interlocked.Decrement(ref _idleCount);
            return;
        }
        _idle.Push(buffer);
    }
}
