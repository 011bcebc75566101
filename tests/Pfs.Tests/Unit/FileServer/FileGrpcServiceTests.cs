using System.Diagnostics;
using Google.Protobuf;
using Grpc.Core;
using Pfs.FileServer.Storage;
using Pfs.Protocol.FileServer;
using static Pfs.Tests.Unit.FileServer.BlockStoreTesting;

using Pfs.Tests.Fixtures;

namespace Pfs.Tests.Unit.FileServer;

public sealed class FileGrpcServiceTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task WriteThenReadRoundTrips()
    {
        // Arrange
        var service = NewService();
        var id = new ObjectId { Name = "round", Generation = 9 };

        // Act
        var written = await service.WriteBytes(
            new WriteBytesRequest { Capability = TestCaps.Write(id), Object = id,
                Sync = true,
                Segments =
                {
                    new WriteSegment { Offset = 0, Data = ByteString.CopyFromUtf8("abc") },
                    new WriteSegment { Offset = 3, Data = ByteString.CopyFromUtf8("def") },
                },
            },
            new TestServerCallContext()).WaitAsync(TestTimeout);
        var read = await service.ReadBytes(
            new ReadBytesRequest { Capability = TestCaps.Write(id), Object = id, Ranges = { new ByteRange { Offset = 1, Length = 4 }, new ByteRange { Offset = 5, Length = 10 }, new ByteRange { Offset = 99, Length = 1 } } },
            new TestServerCallContext()).WaitAsync(TestTimeout);

        // Assert
        Assert.Equal(6, written.BytesWritten);
        Assert.Equal(["bcde", "f", string.Empty], read.Data.Select(d => d.ToStringUtf8()));
    }

    [Fact]
    public async Task DeleteReportsWhetherTheObjectExisted()
    {
        // Arrange
        var service = NewService();
        var id = new ObjectId { Name = "gone", Generation = 1 };
        await service.WriteBytes(new WriteBytesRequest { Capability = TestCaps.Write(id), Object = id, Segments = { new WriteSegment { Data = ByteString.CopyFromUtf8("x") } } }, new TestServerCallContext());

        // Act
        var first = await service.DeleteObject(new DeleteObjectRequest { Capability = TestCaps.Write(id), Object = id }, new TestServerCallContext()).WaitAsync(TestTimeout);
        var second = await service.DeleteObject(new DeleteObjectRequest { Capability = TestCaps.Write(id), Object = id }, new TestServerCallContext()).WaitAsync(TestTimeout);

        // Assert
        Assert.True(first.Existed);
        Assert.False(second.Existed);
    }

    [Fact]
    public async Task RequestWithoutObjectIdIsInvalidArgument()
    {
        // Arrange
        var service = NewService();
        var context = new TestServerCallContext();

        // Act
        var read = await Assert.ThrowsAsync<RpcException>(() => service.ReadBytes(new ReadBytesRequest(), context));
        var write = await Assert.ThrowsAsync<RpcException>(() => service.WriteBytes(new WriteBytesRequest(), context));
        var delete = await Assert.ThrowsAsync<RpcException>(() => service.DeleteObject(new DeleteObjectRequest(), context));

        // Assert
        Assert.All([read, write, delete], ex => Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode));
    }

    [Fact]
    public async Task OffsetsBeyondTheLargestObjectAreOutOfRange()
    {
        // Arrange
        var service = NewService();
        var id = new ObjectId { Name = "far", Generation = 1 };

        // Act
        var read = await Assert.ThrowsAsync<RpcException>(() => service.ReadBytes(
            new ReadBytesRequest { Capability = TestCaps.Write(id), Object = id, Ranges = { new ByteRange { Offset = long.MaxValue, Length = 1 } } },
            new TestServerCallContext()));
        var write = await Assert.ThrowsAsync<RpcException>(() => service.WriteBytes(
            new WriteBytesRequest { Capability = TestCaps.Write(id), Object = id, Segments = { new WriteSegment { Offset = 1L << 40, Data = ByteString.CopyFromUtf8("x") } } },
            new TestServerCallContext()));

        // Assert
        Assert.Equal(StatusCode.OutOfRange, read.StatusCode);
        Assert.Equal(StatusCode.OutOfRange, write.StatusCode);
        Assert.Equal(["data", "data/stripes"], _directory.Tree());
    }

    [Fact]
    public async Task NegativeLengthAndOversizedBatchAreInvalidArgument()
    {
        // Arrange
        var service = NewService();
        var id = new ObjectId { Name = "bad", Generation = 1 };

        // Act
        var negative = await Assert.ThrowsAsync<RpcException>(() => service.ReadBytes(
            new ReadBytesRequest { Capability = TestCaps.Write(id), Object = id, Ranges = { new ByteRange { Offset = 0, Length = -5 } } },
            new TestServerCallContext()));
        var oversized = await Assert.ThrowsAsync<RpcException>(() => service.ReadBytes(
            new ReadBytesRequest { Capability = TestCaps.Write(id), Object = id, Ranges = { new ByteRange { Offset = 0, Length = 1 << 30 }, new ByteRange { Offset = 0, Length = 1 << 30 } } },
            new TestServerCallContext()));

        // Assert
        Assert.Equal(StatusCode.InvalidArgument, negative.StatusCode);
        Assert.Equal(StatusCode.InvalidArgument, oversized.StatusCode);
    }

    [Fact]
    public async Task ManySmallRangesWhoseReplyWouldOutgrowTheMessageLimitAreInvalidArgument()
    {
        // Arrange: a full batch in 512-byte ranges is within the byte budget, but the framing pushes the reply over
        var service = NewService();
        var request = new ReadBytesRequest { Capability = TestCaps.Write(new ObjectId { Name = "tiny-ranges", Generation = 1 }), Object = new ObjectId { Name = "tiny-ranges", Generation = 1 } };
        for (var i = 0; i < BlockStore.MaxReadBytes / 512; i++)
        {
            request.Ranges.Add(new ByteRange { Offset = i * 512L, Length = 512 });
        }

        // Act
        var ex = await Assert.ThrowsAsync<RpcException>(() => service.ReadBytes(request, new TestServerCallContext()));

        // Assert
        Assert.Equal(StatusCode.InvalidArgument, ex.StatusCode);
    }

    [Fact]
    public async Task FullBatchInLargeRangesIsAccepted()
    {
        // Arrange
        var service = NewService();
        var request = new ReadBytesRequest { Capability = TestCaps.Write(new ObjectId { Name = "big-ranges", Generation = 1 }), Object = new ObjectId { Name = "big-ranges", Generation = 1 } };
        var count = BlockStore.MaxReadBytes / (1024 * 1024);
        for (var i = 0; i < count; i++)
        {
            request.Ranges.Add(new ByteRange { Offset = i * 1024L * 1024, Length = 1024 * 1024 });
        }

        // Act
        var reply = await service.ReadBytes(request, new TestServerCallContext()).WaitAsync(TestTimeout);

        // Assert: the object does not exist, so every range is empty
        Assert.Equal(count, reply.Data.Count);
        Assert.All(reply.Data, data => Assert.True(data.IsEmpty));
    }

    [Fact]
    public async Task InjectedDelayHoldsEachCall()
    {
        // Arrange
        var service = NewService(delayMs: 100);
        var stopwatch = Stopwatch.StartNew();

        // Act
        await service.DeleteObject(new DeleteObjectRequest { Capability = TestCaps.Write(new ObjectId { Name = "slow", Generation = 1 }), Object = new ObjectId { Name = "slow", Generation = 1 } }, new TestServerCallContext()).WaitAsync(TestTimeout);

        // Assert: timers may fire a tick early, so allow a little slack below the delay
        Assert.True(stopwatch.ElapsedMilliseconds >= 90, $"took {stopwatch.ElapsedMilliseconds} ms");
    }

    [Fact]
    public async Task InjectedDelayEndsWhenTheCallIsCancelled()
    {
        // Arrange
        var service = NewService(delayMs: 60_000);
        using var cancellation = new CancellationTokenSource();
        var call = service.DeleteObject(new DeleteObjectRequest { Capability = TestCaps.Write(new ObjectId { Name = "slow", Generation = 1 }), Object = new ObjectId { Name = "slow", Generation = 1 } }, new TestServerCallContext(cancellation.Token));

        // Act
        await cancellation.CancelAsync();

        // Assert
        var ex = await Assert.ThrowsAsync<RpcException>(() => call.WaitAsync(TestTimeout));
        Assert.Equal(StatusCode.Cancelled, ex.StatusCode);
    }

    [Fact]
    public async Task AbortObjectDropsTheWritersStageAndNeedsTheMetadataServersCapability()
    {
        // Arrange
        var service = NewService();
        var id = new ObjectId { Name = "aborted", Generation = 0xAB };
        await service.WriteBytes(new WriteBytesRequest { Capability = TestCaps.Write(id, epoch: 4), Object = id, Segments = { new WriteSegment { Data = ByteString.CopyFromUtf8("lost") } } }, new TestServerCallContext()).WaitAsync(TestTimeout);

        // Act
        var byWriter = await Assert.ThrowsAsync<RpcException>(() => service.AbortObject(new AbortObjectRequest { Capability = TestCaps.Write(id, epoch: 4), Object = id }, new TestServerCallContext()));
        var first = await service.AbortObject(new AbortObjectRequest { Capability = TestCaps.Commit(id, epoch: 4), Object = id }, new TestServerCallContext()).WaitAsync(TestTimeout);
        var second = await service.AbortObject(new AbortObjectRequest { Capability = TestCaps.Commit(id, epoch: 4), Object = id }, new TestServerCallContext()).WaitAsync(TestTimeout);
        var late = await Assert.ThrowsAsync<RpcException>(() => service.WriteBytes(
            new WriteBytesRequest { Capability = TestCaps.Write(id, epoch: 4), Object = id, Segments = { new WriteSegment { Data = ByteString.CopyFromUtf8("late") } } },
            new TestServerCallContext()));

        // Assert
        Assert.Equal(StatusCode.PermissionDenied, byWriter.StatusCode);
        Assert.True(first.Dropped);
        Assert.False(second.Dropped);
        Assert.Equal(StatusCode.FailedPrecondition, late.StatusCode);
        Assert.Equal(["data", "data/stripes", "data/stripes/ab", "data/stripes/ab/00000000000000ab.epoch"], _directory.Tree());
    }

    [Fact]
    public async Task AWriteWhoseMessageCarriesAnotherCapabilityThanItsHeaderIsPermissionDenied()
    {
        // Arrange: the header admitted a capability of another file
        var service = NewService();
        var id = new ObjectId { Name = "mine", Generation = 0xAC };
        var context = new TestServerCallContext();
        context.HttpContext.Items[Pfs.FileServer.Services.WriteAdmissionMiddleware.CapabilityItem] = TestCaps.Write(new ObjectId { Name = "other", Generation = 0xAD });

        // Act
        var ex = await Assert.ThrowsAsync<RpcException>(() => service.WriteBytes(
            new WriteBytesRequest { Capability = TestCaps.Write(id), Object = id, Segments = { new WriteSegment { Data = ByteString.CopyFromUtf8("x") } } },
            context));

        // Assert
        Assert.Equal(StatusCode.PermissionDenied, ex.StatusCode);
        Assert.Equal(["data", "data/stripes"], _directory.Tree());
    }

    private FileServiceUnderTest NewService(int delayMs = 0) => FileServiceUnderTest.Create(_directory, delayMs);
}
