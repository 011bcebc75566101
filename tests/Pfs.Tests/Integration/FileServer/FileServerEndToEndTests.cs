using Google.Protobuf;
using Grpc.Core;
using Grpc.Health.V1;
using Microsoft.Extensions.Logging;
using Pfs.FileServer;
using Pfs.Protocol;
using Pfs.Protocol.FileServer;
using Pfs.ServiceDefaults;
using Pfs.Tests.Unit.FileServer;
using static Pfs.Tests.Unit.FileServer.BlockStoreTesting;

using Pfs.Tests.Fixtures;

namespace Pfs.Tests.Integration.FileServer;

public sealed class FileServerEndToEndTests : IClassFixture<FileServerFixture>
{
    private readonly FileServerFixture _server;
    private readonly FileService.FileServiceClient _client;

    public FileServerEndToEndTests(FileServerFixture server)
    {
        _server = server;
        _client = new FileService.FileServiceClient(server.Channel);
    }

    private static DateTime Deadline => DateTime.UtcNow.Add(TestTimeout);

    [Fact]
    public async Task HealthCheckReportsServing()
    {
        // Arrange
        var health = new Health.HealthClient(_server.Channel);

        // Act
        var reply = await health.CheckAsync(new HealthCheckRequest { Service = string.Empty }, deadline: Deadline);

        // Assert
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, reply.Status);
    }

    [Fact]
    public async Task WriteThenReadRoundTripsOverTheWire()
    {
        // Arrange
        var id = new ObjectId { Name = "e2e-round-trip", Generation = 42 };
        var first = Pattern(100_000, seed: 1);
        var second = Pattern(50_000, seed: 2);

        // Act
        var written = await _client.WriteBytesAsync(
            new WriteBytesRequest { Capability = TestCaps.Write(id), Object = id,
                Sync = true,
                Segments =
                {
                    new WriteSegment { Offset = 0, Data = ByteString.CopyFrom(first) },
                    new WriteSegment { Offset = 100_000, Data = ByteString.CopyFrom(second) },
                    new WriteSegment { Offset = 1_000_000, Data = ByteString.CopyFromUtf8("tail") },
                },
            },
            deadline: Deadline);
        var read = await _client.ReadBytesAsync(
            new ReadBytesRequest { Capability = TestCaps.Write(id), Object = id,
                Ranges =
                {
                    new ByteRange { Offset = 0, Length = 150_000 },
                    new ByteRange { Offset = 150_000, Length = 10 },
                    new ByteRange { Offset = 999_998, Length = 100 },
                },
            },
            deadline: Deadline);

        // Assert
        Assert.Equal(150_004, written.BytesWritten);
        Assert.Equal([.. first, .. second], read.Data[0].ToByteArray());
        Assert.Equal(new byte[10], read.Data[1].ToByteArray());
        Assert.Equal([0, 0, .. Bytes("tail")], read.Data[2].ToByteArray());
    }

    [Fact]
    public async Task ConcurrentLargeReadsEachGetTheirOwnBytes()
    {
        // Arrange: distinct contents, so a pooled buffer handed back too early would show up as wrong bytes
        const int Objects = 8;
        const int Size = 2 * 1024 * 1024;
        for (var i = 0; i < Objects; i++)
        {
            await _client.WriteBytesAsync(
                new WriteBytesRequest { Capability = TestCaps.Write(new ObjectId { Name = $"e2e-large-{i}", Generation = 1 }), Object = new ObjectId { Name = $"e2e-large-{i}", Generation = 1 }, Segments = { new WriteSegment { Data = ByteString.CopyFrom(Pattern(Size, seed: i)) } } },
                deadline: Deadline);
        }

        // Act
        var replies = await Task.WhenAll(Enumerable.Range(0, Objects * 4).Select(n => _client.ReadBytesAsync(
            new ReadBytesRequest { Capability = TestCaps.Write(new ObjectId { Name = $"e2e-large-{n % Objects}", Generation = 1 }), Object = new ObjectId { Name = $"e2e-large-{n % Objects}", Generation = 1 }, Ranges = { new ByteRange { Offset = 0, Length = Size } } },
            deadline: Deadline).ResponseAsync));

        // Assert
        for (var n = 0; n < replies.Length; n++)
        {
            Assert.True(Pattern(Size, seed: n % Objects).AsSpan().SequenceEqual(replies[n].Data[0].Span), $"read {n} came back wrong");
        }
    }

    [Fact]
    public async Task LargestBlockRoundTripsInOneCall()
    {
        // Arrange
        var id = new ObjectId { Name = "e2e-largest-block", Generation = 1 };
        var block = Pattern(BlockSizes.Max, seed: 9);

        // Act
        await _client.WriteBytesAsync(new WriteBytesRequest { Capability = TestCaps.Write(id), Object = id, Segments = { new WriteSegment { Offset = BlockSizes.Max, Data = UnsafeByteOperations.UnsafeWrap(block) } } }, deadline: Deadline);
        var reply = await _client.ReadBytesAsync(new ReadBytesRequest { Capability = TestCaps.Write(id), Object = id, Ranges = { new ByteRange { Offset = BlockSizes.Max, Length = BlockSizes.Max } } }, deadline: Deadline);

        // Assert
        Assert.True(block.AsSpan().SequenceEqual(reply.Data[0].Span));
    }

    [Fact]
    public async Task DeleteOverTheWireReportsExistenceAndEmptiesTheObject()
    {
        // Arrange
        var id = new ObjectId { Name = "e2e-delete", Generation = 5 };
        await _client.WriteBytesAsync(new WriteBytesRequest { Capability = TestCaps.Write(id), Object = id, Segments = { new WriteSegment { Data = ByteString.CopyFromUtf8("bye") } } }, deadline: Deadline);

        // Act
        var first = await _client.DeleteObjectAsync(new DeleteObjectRequest { Capability = TestCaps.Write(id ), Object = id }, deadline: Deadline);
        var second = await _client.DeleteObjectAsync(new DeleteObjectRequest { Capability = TestCaps.Write(id ), Object = id }, deadline: Deadline);
        var read = await _client.ReadBytesAsync(new ReadBytesRequest { Capability = TestCaps.Write(id), Object = id, Ranges = { new ByteRange { Offset = 0, Length = 3 } } }, deadline: Deadline);

        // Assert
        Assert.True(first.Existed);
        Assert.False(second.Existed);
        Assert.True(read.Data[0].IsEmpty);
    }

    [Fact]
    public async Task BadRequestsGetPreciseStatusCodesOverTheWire()
    {
        // Arrange: the whole tree around the data directory, wherever an escape would land
        var escape = new ObjectId { Name = "../escape", Generation = 1 };
        var far = new ObjectId { Name = "e2e-far", Generation = 1 };
        var before = _server.Tree();

        // Act
        var badName = await Record.ExceptionAsync(() => _client.WriteBytesAsync(
            new WriteBytesRequest { Capability = TestCaps.Write(escape), Object = escape, Segments = { new WriteSegment { Data = ByteString.CopyFromUtf8("x") } } },
            deadline: Deadline).ResponseAsync);
        var farOffset = await Record.ExceptionAsync(() => _client.ReadBytesAsync(
            new ReadBytesRequest { Capability = TestCaps.Write(far), Object = far, Ranges = { new ByteRange { Offset = long.MaxValue, Length = 1 } } },
            deadline: Deadline).ResponseAsync);

        // Assert: nothing written anywhere, then the codes
        Assert.Equal(before, _server.Tree());
        Assert.Equal(StatusCode.InvalidArgument, Assert.IsType<RpcException>(badName).StatusCode);
        Assert.Equal(StatusCode.OutOfRange, Assert.IsType<RpcException>(farOffset).StatusCode);
    }

    [Fact]
    public async Task DataDirectoryComesFromConfigurationWhenOptionsLeaveItEmpty()
    {
        // Arrange
        using var directory = new TempDirectory();
        var configured = Path.Join(directory.FullPath, "from-config");
        await using var app = FileServerApp.Build(
            new FileServerOptions { Port = 0, BindAddress = "127.0.0.1", DataDirectory = string.Empty, ClusterKey = TestCaps.Key },
            [$"--{FileServerSettings.DataDirectory.Key}={configured}"],
            builder => builder.Logging.SetMinimumLevel(LogLevel.Warning));
        await app.StartAsync().WaitAsync(TestTimeout);
        using var channel = Grpc.Net.Client.GrpcChannel.ForAddress(app.GetListenAddress());
        var client = new FileService.FileServiceClient(channel);

        // Act
        await client.WriteBytesAsync(
            new WriteBytesRequest { Capability = TestCaps.Write(new ObjectId { Name = "configured", Generation = 1 }), Object = new ObjectId { Name = "configured", Generation = 1 }, Segments = { new WriteSegment { Data = ByteString.CopyFromUtf8("x") } } },
            deadline: Deadline);
        await client.CommitObjectAsync(
            new CommitObjectRequest { Capability = TestCaps.Commit(new ObjectId { Name = "configured", Generation = 1 }), Object = new ObjectId { Name = "configured", Generation = 1 } },
            deadline: Deadline);
        await app.StopAsync().WaitAsync(TestTimeout);

        // Assert
        Assert.True(File.Exists(Path.Join(configured, "objects", "configured", "0000000000000001")));
    }
}
