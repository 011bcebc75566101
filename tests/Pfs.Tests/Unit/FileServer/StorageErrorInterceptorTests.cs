using Google.Protobuf;
using Grpc.Core;
using Pfs.FileServer.Services;
using Pfs.FileServer.Storage;
using Pfs.Protocol.FileServer;
using Pfs.Tests.Fixtures;
using static Pfs.Tests.Unit.FileServer.BlockStoreTesting;

namespace Pfs.Tests.Unit.FileServer;

public sealed class StorageErrorInterceptorTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Theory]
    [InlineData(BlockStoreError.InvalidArgument, StatusCode.InvalidArgument)]
    [InlineData(BlockStoreError.OutOfRange, StatusCode.OutOfRange)]
    [InlineData(BlockStoreError.NoSpace, StatusCode.ResourceExhausted)]
    [InlineData(BlockStoreError.Io, StatusCode.Internal)]
    [InlineData(BlockStoreError.StaleEpoch, StatusCode.FailedPrecondition)]
    [InlineData(BlockStoreError.Deleted, StatusCode.NotFound)]
    [InlineData(BlockStoreError.Busy, StatusCode.Unavailable)]
    [InlineData(BlockStoreError.OutOfHandles, StatusCode.Unavailable)]
    public async Task EachStorageErrorBecomesItsStatusCodeWithItsMessage(BlockStoreError error, StatusCode expected)
    {
        // Act
        var ex = await Assert.ThrowsAsync<RpcException>(() => Intercept(new BlockStoreException(error, "what the client may read")));

        // Assert
        Assert.Equal(expected, ex.StatusCode);
        Assert.Equal("what the client may read", ex.Status.Detail);
    }

    [Fact]
    public async Task AFullDiskIsResourceExhaustedWithAClearMessage()
    {
        // Arrange: once the object is known (a first call without bytes loads it, which would clear a
        // stray shadow), the writer's shadow becomes the kernel's always-full device: a real ENOSPC
        var service = FileServiceUnderTest.Create(_directory);
        var id = new ObjectId { Name = "full", Generation = 1 };
        await service.WriteBytes(new WriteBytesRequest { Capability = TestCaps.Write(id), Object = id }, new TestServerCallContext()).WaitAsync(TestTimeout);
        File.CreateSymbolicLink(Path.Join(_directory.FullPath, "data", "stripes", "01", "0000000000000001.stage"), "/dev/full");
        var request = new WriteBytesRequest
        {
            Capability = TestCaps.Write(id),
            Object = id,
            Segments = { new WriteSegment { Offset = 0, Data = ByteString.CopyFrom(Pattern(4096, 1)) } },
        };

        // Act
        var ex = await Assert.ThrowsAsync<RpcException>(() => service.WriteBytes(request, new TestServerCallContext()).WaitAsync(TestTimeout));

        // Assert
        Assert.Equal(StatusCode.ResourceExhausted, ex.StatusCode);
        Assert.Equal("write failed: no space left on the file server", ex.Status.Detail);
    }

    [Fact]
    public async Task ACancelledCallIsCancelled()
    {
        // Arrange
        using var cancellation = new CancellationTokenSource();
        await cancellation.CancelAsync();

        // Act
        var ex = await Assert.ThrowsAsync<RpcException>(() => Intercept(new OperationCanceledException(cancellation.Token), cancellation.Token));

        // Assert
        Assert.Equal(StatusCode.Cancelled, ex.StatusCode);
    }

    [Fact]
    public async Task AnythingElsePassesThroughUntouched()
    {
        // Arrange
        var bug = new InvalidOperationException("a bug");
        var notTheCalls = new OperationCanceledException("cancelled by something other than the call");
        var refusal = new RpcException(new Status(StatusCode.PermissionDenied, "refused"));

        // Act
        var bugSeen = await Assert.ThrowsAsync<InvalidOperationException>(() => Intercept(bug));
        var cancellationSeen = await Assert.ThrowsAsync<OperationCanceledException>(() => Intercept(notTheCalls));
        var refusalSeen = await Assert.ThrowsAsync<RpcException>(() => Intercept(refusal));

        // Assert
        Assert.Same(bug, bugSeen);
        Assert.Same(notTheCalls, cancellationSeen);
        Assert.Same(refusal, refusalSeen);
    }

    private static Task<string> Intercept(Exception thrown, CancellationToken callToken = default) =>
        new StorageErrorInterceptor().UnaryServerHandler<string, string>(
            "request",
            new TestServerCallContext(callToken),
            (_, _) => Task.FromException<string>(thrown)).WaitAsync(TestTimeout, CancellationToken.None);
}
