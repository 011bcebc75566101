using Google.Protobuf;
using Grpc.Core;
using Pfs.Protocol.FileServer;

namespace Pfs.WireServer;

/// <summary>
/// FileService with nothing behind it: writes arrive parsed into pooled memory exactly as the file
/// server's do (the same binding) and are dropped; reads are answered with slices of one buffer.
/// </summary>
[BindServiceMethod(typeof(FileService), nameof(FileService.BindServiceWithPooledWrites))]
internal sealed class WireService : FileService.FileServiceBase
{
    private const int BufferBytes = 8 * 1024 * 1024;

    private static readonly byte[] Buffer = CreateBuffer();

    public override Task<ReadBytesReply> ReadBytes(ReadBytesRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        var reply = new ReadBytesReply();
        foreach (var range in request.Ranges)
        {
            var length = (int)Math.Clamp(range.Length, 0, int.MaxValue);
            reply.Data.Add(length <= BufferBytes
                ? UnsafeByteOperations.UnsafeWrap(Buffer.AsMemory(0, length))
                : UnsafeByteOperations.UnsafeWrap(new byte[length]));
        }

        return Task.FromResult(reply);
    }

    public override Task<WriteBytesReply> WriteBytes(WriteBytesRequest request, ServerCallContext context)
    {
        ArgumentNullException.ThrowIfNull(request);
        long written = 0;
        foreach (var segment in request.Segments)
        {
            written += segment.Data.Length;
        }

        return Task.FromResult(new WriteBytesReply { BytesWritten = written });
    }

    public override Task<DeleteObjectReply> DeleteObject(DeleteObjectRequest request, ServerCallContext context) =>
        Task.FromResult(new DeleteObjectReply { Existed = true });

    public override Task<CommitObjectReply> CommitObject(CommitObjectRequest request, ServerCallContext context) =>
        Task.FromResult(new CommitObjectReply { Applied = true });

    private static byte[] CreateBuffer()
    {
        var buffer = new byte[BufferBytes];
        new Random(7).NextBytes(buffer);
        return buffer;
    }
}
