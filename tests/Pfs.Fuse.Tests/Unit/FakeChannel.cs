using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Pfs.Fuse.Protocol;
using Pfs.Fuse.Session;

namespace Pfs.Fuse.Tests.Unit;

/// <summary>A FUSE connection in memory: requests pushed by the test, replies recorded in order.</summary>
internal sealed class FakeChannel : FuseChannel
{
    private static readonly TimeSpan ReplyTimeout = TimeSpan.FromSeconds(10);
    private readonly BlockingCollection<byte[]> _requests = [];
    private readonly BlockingCollection<byte[]> _replies = [];

    public bool Disposed { get; private set; }

    /// <summary>The errno the next writes answer (0: accepted), as the kernel would for a notification.</summary>
    public int WriteResult { get; set; }

    public void Push(byte[] request) => _requests.Add(request);

    /// <summary>The kernel ends the session: readers get ENODEV.</summary>
    public void Close() => _requests.CompleteAdding();

    public override int Read(Span<byte> buffer)
    {
        try
        {
            var request = _requests.Take();
            request.CopyTo(buffer);
            return request.Length;
        }
        catch (InvalidOperationException)
        {
            return -Errno.ENODEV;
        }
    }

    public override int Write(ReadOnlySpan<byte> message)
    {
        _replies.Add(message.ToArray());
        return WriteResult;
    }

    public override void Dispose() => Disposed = true;

    public byte[] NextMessage()
    {
        Assert.True(_replies.TryTake(out var reply, ReplyTimeout), "no reply within the timeout");
        return reply!;
    }

    /// <summary>No further message arrives within a short wait (for requests that get no reply).</summary>
    public bool HasMessage => _replies.Count > 0;

    public Reply NextReply() => new(NextMessage());

    public readonly struct Reply(byte[] bytes)
    {
        public byte[] Bytes { get; } = bytes;

        public OutHeader Header => MemoryMarshal.Read<OutHeader>(Bytes);

        public ReadOnlySpan<byte> Payload => Bytes.AsSpan(OutHeader.WireSize);

        public T Read<T>(int offset = 0)
            where T : unmanaged => MemoryMarshal.Read<T>(Payload[offset..]);
    }
}
