using Google.Protobuf;
using Grpc.Core;
using Grpc.Health.V1;
using Microsoft.Extensions.Logging;
using Pfs.FileServer;
using Pfs.Protocol;
using Pfs.Protocol.FileServer;
using Pfs.ServiceDefaults;
using Pfs.Tests.Fixtures;
using Pfs.Tests.Unit.FileServer;
using static Pfs.Tests.Unit.FileServer.BlockStoreTesting;

namespace Pfs.Tests.Integration.FileServer;

public sealed class FileServerEndToEndTests : IClassFixture<FileServerFixture>
{
    private readonly FileServerFixture _server;
    private readonly FileService.FileServiceClient _client;

    public FileServerEndToEndTests(FileServerFixture server)
    {
        _server = server;
        _client = new FileService.FileServiceClient(server.Channel.WithCapabilityHeader());
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
        // Arrange: distinct contents (and generations, which alone name objects), so a pooled buffer
        // handed back too early would show up as wrong bytes
        const int Objects = 8;
        const int Size = 2 * 1024 * 1024;
        for (var i = 0; i < Objects; i++)
        {
            await _client.WriteBytesAsync(
                new WriteBytesRequest { Capability = TestCaps.Write(new ObjectId { Name = $"e2e-large-{i}", Generation = 0x1000 + (ulong)i }), Object = new ObjectId { Name = $"e2e-large-{i}", Generation = 0x1000 + (ulong)i }, Segments = { new WriteSegment { Data = ByteString.CopyFrom(Pattern(Size, seed: i)) } } },
                deadline: Deadline);
        }

        // Act
        var replies = await Task.WhenAll(Enumerable.Range(0, Objects * 4).Select(n => _client.ReadBytesAsync(
            new ReadBytesRequest { Capability = TestCaps.Write(new ObjectId { Name = $"e2e-large-{n % Objects}", Generation = 0x1000 + (ulong)(n % Objects) }), Object = new ObjectId { Name = $"e2e-large-{n % Objects}", Generation = 0x1000 + (ulong)(n % Objects) }, Ranges = { new ByteRange { Offset = 0, Length = Size } } },
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
        var id = new ObjectId { Name = "e2e-largest-block", Generation = 0xB10C };
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
        var read = await Assert.ThrowsAsync<RpcException>(() => _client.ReadBytesAsync(new ReadBytesRequest { Capability = TestCaps.Write(id), Object = id, Ranges = { new ByteRange { Offset = 0, Length = 3 } } }, deadline: Deadline).ResponseAsync);

        // Assert
        Assert.True(first.Existed);
        Assert.False(second.Existed);
        Assert.Equal(StatusCode.NotFound, read.StatusCode);
    }

    [Fact]
    public async Task BadRequestsGetPreciseStatusCodesOverTheWireAndANameIsNeverAPath()
    {
        // Arrange: the whole tree around the data directory, wherever an escape would land
        var escape = new ObjectId { Name = "../escape", Generation = 0xE5CA9E };
        var far = new ObjectId { Name = "e2e-far", Generation = 0xFA7 };
        var before = _server.Tree();

        // Act
        await _client.WriteBytesAsync(
            new WriteBytesRequest { Capability = TestCaps.Write(escape), Object = escape, Segments = { new WriteSegment { Data = ByteString.CopyFromUtf8("x") } } },
            deadline: Deadline);
        var generationZero = await Assert.ThrowsAsync<RpcException>(() => _client.WriteBytesAsync(
            new WriteBytesRequest { Capability = TestCaps.Write(new ObjectId()), Object = new ObjectId(), Segments = { new WriteSegment { Data = ByteString.CopyFromUtf8("x") } } },
            deadline: Deadline).ResponseAsync);
        var farOffset = await Assert.ThrowsAsync<RpcException>(() => _client.ReadBytesAsync(
            new ReadBytesRequest { Capability = TestCaps.Write(far), Object = far, Ranges = { new ByteRange { Offset = long.MaxValue, Length = 1 } } },
            deadline: Deadline).ResponseAsync);

        // Assert
        Assert.Equal(StatusCode.InvalidArgument, generationZero.StatusCode);
        Assert.Equal(StatusCode.OutOfRange, farOffset.StatusCode);
        // The name is only a label: the write landed under its generation and nowhere else.
        var stripeDirectory = Path.GetRelativePath(Path.GetDirectoryName(_server.DataDirectory)!, Path.Join(_server.DataDirectory, "stripes", "9e")).Replace('\\', '/');
        var added = _server.Tree().Except(before).ToList();
        Assert.NotEmpty(added);
        Assert.All(added, path => Assert.StartsWith(stripeDirectory, path, StringComparison.Ordinal));
        Assert.Contains(stripeDirectory + "/0000000000e5ca9e.stage", added);
        Assert.False(Directory.Exists(Path.Join(_server.DataDirectory, "stripes", "a7")));
    }

    [Fact]
    public async Task AStagedTruncateCutsTheObjectAtTheCommitAndAHoleReadsAsZeros()
    {
        // Arrange: a committed object of 1 MiB
        var id = new ObjectId { Name = "dir/e2e-truncate", Generation = 0x7C };
        var original = Pattern(1024 * 1024, seed: 3);
        await _client.WriteBytesAsync(new WriteBytesRequest { Capability = TestCaps.Write(id, epoch: 1), Object = id, Segments = { new WriteSegment { Data = ByteString.CopyFrom(original) } } }, deadline: Deadline);
        await _client.CommitObjectAsync(new CommitObjectRequest { Capability = TestCaps.Commit(id, epoch: 1), Object = id }, deadline: Deadline);

        // Act: the next writer writes, cuts to 1000 bytes, then writes beyond the old end, and closes
        var writer = TestCaps.Write(id, epoch: 2);
        await _client.WriteBytesAsync(new WriteBytesRequest { Capability = writer, Object = id, Segments = { new WriteSegment { Offset = 500, Data = ByteString.CopyFromUtf8("staged") } } }, deadline: Deadline);
        await _client.WriteBytesAsync(new WriteBytesRequest { Capability = writer, Object = id, Truncate = 1000 }, deadline: Deadline);
        await _client.WriteBytesAsync(new WriteBytesRequest { Capability = writer, Object = id, Sync = true, Segments = { new WriteSegment { Offset = 2_000_000, Data = ByteString.CopyFromUtf8("tail") } } }, deadline: Deadline);
        // A holder from before the writer (epoch 1), whose capability names the file as it was called then.
        var earlier = TestCaps.Signer.Sign("renamed meanwhile", 0x7C, write: false, epoch: 1, "tests");
        var othersBefore = await _client.ReadBytesAsync(new ReadBytesRequest { Capability = earlier, Object = id, Ranges = { new ByteRange { Offset = 1000, Length = 10 } } }, deadline: Deadline);
        var commit = await _client.CommitObjectAsync(new CommitObjectRequest { Capability = TestCaps.Commit(id, epoch: 2), Object = id }, deadline: Deadline);
        var read = await _client.ReadBytesAsync(
            new ReadBytesRequest
            {
                Capability = TestCaps.Read(id, 1, 2),
                Object = id,
                Ranges = { new ByteRange { Offset = 0, Length = 1000 }, new ByteRange { Offset = 1000, Length = 4096 }, new ByteRange { Offset = 1_999_998, Length = 100 } },
            },
            deadline: Deadline);

        // Assert
        Assert.Equal(original.AsSpan(1000, 10).ToArray(), othersBefore.Data[0].ToByteArray());
        Assert.True(commit.Applied);
        byte[] head = [.. original.AsSpan(0, 500), .. Bytes("staged"), .. original.AsSpan(506, 494)];
        Assert.Equal(head, read.Data[0].ToByteArray());
        Assert.Equal(new byte[4096], read.Data[1].ToByteArray());
        Assert.Equal([0, 0, .. Bytes("tail")], read.Data[2].ToByteArray());
        Assert.Equal(2_000_004, new FileInfo(Path.Join(_server.DataDirectory, "stripes", "7c", "000000000000007c")).Length);
    }

    [Fact]
    public async Task TheCapabilityADeleteUsedIsAcceptedForNothingAfterwardsAndLeavesNothingOnDisk()
    {
        // Arrange (issue 16, row 5): a file written and closed, then deleted with a write capability
        var id = new ObjectId { Name = "e2e-deleted", Generation = 0xDE1E7E };
        var capability = TestCaps.Write(id, epoch: 3);
        await _client.WriteBytesAsync(new WriteBytesRequest { Capability = capability, Object = id, Sync = true, Segments = { new WriteSegment { Data = ByteString.CopyFromUtf8("was here") } } }, deadline: Deadline);
        await _client.CommitObjectAsync(new CommitObjectRequest { Capability = TestCaps.Commit(id, epoch: 3), Object = id }, deadline: Deadline);
        await _client.DeleteObjectAsync(new DeleteObjectRequest { Capability = capability, Object = id }, deadline: Deadline);

        // Act: a 1 MiB write with that capability, and with a newer one a forger could not make anyway
        var write = await Assert.ThrowsAsync<RpcException>(() => _client.WriteBytesAsync(
            new WriteBytesRequest { Capability = capability, Object = id, Segments = { new WriteSegment { Data = ByteString.CopyFrom(Pattern(1024 * 1024, 5)) } } },
            deadline: Deadline).ResponseAsync);
        var newer = await Assert.ThrowsAsync<RpcException>(() => _client.WriteBytesAsync(
            new WriteBytesRequest { Capability = TestCaps.Write(id, epoch: 4), Object = id, Truncate = 0 },
            deadline: Deadline).ResponseAsync);
        var commit = await _client.CommitObjectAsync(new CommitObjectRequest { Capability = TestCaps.Commit(id, epoch: 3), Object = id }, deadline: Deadline);

        // Assert
        Assert.Equal(StatusCode.NotFound, write.StatusCode);
        Assert.Equal(StatusCode.NotFound, newer.StatusCode);
        Assert.False(commit.Applied);
        Assert.Empty(Directory.GetFiles(Path.Join(_server.DataDirectory, "stripes", "7e"), "0000000000de1e7e*"));
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
        var client = new FileService.FileServiceClient(channel.WithCapabilityHeader());

        // Act
        await client.WriteBytesAsync(
            new WriteBytesRequest { Capability = TestCaps.Write(new ObjectId { Name = "configured", Generation = 1 }), Object = new ObjectId { Name = "configured", Generation = 1 }, Segments = { new WriteSegment { Data = ByteString.CopyFromUtf8("x") } } },
            deadline: Deadline);
        await client.CommitObjectAsync(
            new CommitObjectRequest { Capability = TestCaps.Commit(new ObjectId { Name = "configured", Generation = 1 }), Object = new ObjectId { Name = "configured", Generation = 1 } },
            deadline: Deadline);
        await app.StopAsync().WaitAsync(TestTimeout);

        // Assert
        Assert.True(File.Exists(Path.Join(configured, "stripes", "01", "0000000000000001")));
    }
}
