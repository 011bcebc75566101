using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using Pfs.Fuse.Protocol;

namespace Pfs.Fuse.Session;

/// <summary>
/// One request read from the device: the buffer it arrived in (owned until the reply is sent),
/// its header, and the parsers for its fixed-width argument and NUL-terminated names.
/// </summary>
internal sealed class FuseRequest
{
    public FuseRequest(byte[] buffer, int length, bool isPooledBuffer, in InHeader header)
    {
        Buffer = buffer;
        Length = length;
        IsPooledBuffer = isPooledBuffer;
        Header = header;
    }

    public InHeader Header { get; }

    public FuseOpcode Opcode => (FuseOpcode)Header.Opcode;

    public ulong Unique => Header.Unique;

    public ulong NodeId => Header.NodeId;

    /// <summary>The bytes as read; returned to the session's pool (request-sized) or ArrayPool (small) on completion.</summary>
    public byte[] Buffer { get; }

    public int Length { get; }

    public bool IsPooledBuffer { get; }

    /// <summary>A reply buffer rented for READ and READDIR, with room for the out header in front.</summary>
    public byte[]? ReplyBuffer { get; set; }

    public bool ReplyBufferIsPooled { get; set; }

    /// <summary>The payload bytes the handler may fill in <see cref="ReplyBuffer"/> (a rented array may be longer).</summary>
    public int ReplyCapacity { get; set; }

    public CancellationTokenSource? Cancellation { get; set; }

    public FuseContext Context => new(Header.Unique, Header.NodeId, Header.Uid, Header.Gid, Header.Pid,
        Cancellation?.Token ?? CancellationToken.None);

    /// <summary>The argument bytes: after the header, without the request extensions (7.38+) at the end.</summary>
    public ReadOnlySpan<byte> Payload => Buffer.AsSpan(InHeader.WireSize, PayloadLength);

    public ReadOnlyMemory<byte> PayloadMemory => Buffer.AsMemory(InHeader.WireSize, PayloadLength);

    private int PayloadLength => Math.Max(0, Length - InHeader.WireSize - Header.TotalExtLen * 8);

    /// <summary>Reads the fixed-width argument at <paramref name="offset"/>; a request too short for it is answered EINVAL.</summary>
    public T Read<T>(int offset = 0)
        where T : unmanaged
    {
        var payload = Payload;
        if (offset < 0 || payload.Length - offset < Unsafe.SizeOf<T>())
            throw new FuseException(Errno.EINVAL, $"{Opcode} request of {Length} bytes is too short for its {typeof(T).Name}");
        return MemoryMarshal.Read<T>(payload[offset..]);
    }

    /// <summary>Reads an argument that older kernels send shorter (INIT): the missing tail reads as zeros.</summary>
    public T ReadPartial<T>()
        where T : unmanaged
    {
        T value = default;
        var target = MemoryMarshal.AsBytes(new Span<T>(ref value));
        var payload = Payload;
        payload[..Math.Min(payload.Length, target.Length)].CopyTo(target);
        return value;
    }

    /// <summary>Reads the NUL-terminated name at <paramref name="offset"/> and tells where the next one starts.</summary>
    public string ReadName(int offset, out int next)
    {
        var payload = Payload;
        if (offset < 0 || offset > payload.Length)
            throw new FuseException(Errno.EINVAL, $"{Opcode} request of {Length} bytes has no name at {offset}");
        var rest = payload[offset..];
        var end = rest.IndexOf((byte)0);
        if (end < 0)
            end = rest.Length;
        next = offset + Math.Min(end + 1, rest.Length);
        if (end == 0)
            throw new FuseException(Errno.EINVAL, $"{Opcode} request has an empty name");
        return Encoding.UTF8.GetString(rest[..end]);
    }

    public string ReadName(int offset) => ReadName(offset, out _);
}
