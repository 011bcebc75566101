using Grpc.Core;
using Pfs.FileServer;
using Pfs.FileServer.Services;
using Pfs.Protocol.FileServer;
using Pfs.Tests.Fixtures;

namespace Pfs.Tests.Unit.FileServer;

/// <summary>
/// The file service as a hosted file server runs it: every call passes through the
/// <see cref="StorageErrorInterceptor"/>, so tests see the status codes a client gets.
/// </summary>
internal sealed class FileServiceUnderTest(FileGrpcService service)
{
    private static readonly StorageErrorInterceptor Interceptor = new();

    /// <summary>A service over a fresh store in <paramref name="directory"/>.</summary>
    public static FileServiceUnderTest Create(TempDirectory directory, int delayMs = 0)
    {
        var store = BlockStoreTesting.NewStore(directory);
        var options = new FileServerOptions { DataDirectory = directory.FullPath, DelayMs = delayMs };
        return new(new FileGrpcService(store, options, TestCaps.Signer, BlockStoreTesting.NewStaged(store), new ClientActivity()));
    }

    public Task<ReadBytesReply> ReadBytes(ReadBytesRequest request, ServerCallContext context) =>
        Interceptor.UnaryServerHandler(request, context, service.ReadBytes);

    public Task<WriteBytesReply> WriteBytes(WriteBytesRequest request, ServerCallContext context) =>
        Interceptor.UnaryServerHandler(request, context, service.WriteBytes);

    public Task<DeleteObjectReply> DeleteObject(DeleteObjectRequest request, ServerCallContext context) =>
        Interceptor.UnaryServerHandler(request, context, service.DeleteObject);

    public Task<CommitObjectReply> CommitObject(CommitObjectRequest request, ServerCallContext context) =>
        Interceptor.UnaryServerHandler(request, context, service.CommitObject);

    public Task<AbortObjectReply> AbortObject(AbortObjectRequest request, ServerCallContext context) =>
        Interceptor.UnaryServerHandler(request, context, service.AbortObject);
}
