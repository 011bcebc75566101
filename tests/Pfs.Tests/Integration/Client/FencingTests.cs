using Grpc.Core;
using Grpc.Net.Client;
using Pfs.Client;
using Pfs.LocalCluster;
using Pfs.Protocol;
using Pfs.Protocol.FileServer;
using Pfs.Protocol.Meta;
using Pfs.Tests.Fixtures;

namespace Pfs.Tests.Integration.Client;

/// <summary>Capabilities and epoch fencing, driven over the wire as a misbehaving client would.</summary>
public sealed class FencingTests : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private PfsCluster _cluster = null!;
    private GrpcChannel _metaChannel = null!;

    public async Task InitializeAsync()
    {
        _cluster = await PfsCluster.StartAsync(fileServers: 2, leaseTimeout: TimeSpan.FromMilliseconds(300));
        _metaChannel = GrpcChannel.ForAddress(_cluster.MetaServerAddress);
    }

    public async Task DisposeAsync()
    {
        _metaChannel.Dispose();
        await _cluster.DisposeAsync();
    }

    [Fact]
    public async Task AClientThatNeverOpenedTheFileCannotReadOrWriteItDirectly()
    {
        await using var owner = await _cluster.ConnectAsync();
        await owner.CreateAsync("secret", stripeWidth: 1);
        await using (var file = await owner.OpenAsync("secret", PfsOpenMode.Write))
        {
            await file.WriteAsync("top secret"u8.ToArray(), 0);
        }

        var fileId = await FileIdAsync("secret");
        using var channel = GrpcChannel.ForAddress(_cluster.FileServerAddresses[0]);
        var server = new FileService.FileServiceClient(channel.WithCapabilityHeader());
        var id = new ObjectId { Name = "secret", Generation = fileId };
        var forged = new CapabilitySigner(new byte[32]).Sign("secret", fileId, write: true, ulong.MaxValue, "mallory");
        var tampered = forged.Clone();
        tampered.Mac = Google.Protobuf.ByteString.CopyFrom(new byte[32]);

        foreach (var capability in new Capability?[] { null, forged, tampered })
        {
            var read = await Assert.ThrowsAsync<RpcException>(() => server.ReadBytesAsync(
                new ReadBytesRequest { Object = id, Capability = capability, Ranges = { new ByteRange { Length = 10 } } }).ResponseAsync);
            var write = await Assert.ThrowsAsync<RpcException>(() => server.WriteBytesAsync(
                new WriteBytesRequest { Object = id, Capability = capability, Segments = { new WriteSegment { Data = Google.Protobuf.ByteString.CopyFromUtf8("pwned") } } }).ResponseAsync);
            Assert.Equal(StatusCode.PermissionDenied, read.StatusCode);
            Assert.Equal(StatusCode.PermissionDenied, write.StatusCode);
        }

        await using var reader = await owner.OpenAsync("secret", PfsOpenMode.Read);
        Assert.Equal("top secret"u8.ToArray(), await TestData.ReadAllAsync(reader, 10));
    }

    [Fact]
    public async Task AReadCapabilityCannotWriteAndACapabilityForAnotherFileIsRefused()
    {
        await using var owner = await _cluster.ConnectAsync();
        await owner.CreateAsync("a", stripeWidth: 1);
        await owner.CreateAsync("b", stripeWidth: 1);
        var meta = new MetaService.MetaServiceClient(_metaChannel);
        var open = await meta.OpenAsync(new OpenRequest { ClientId = "raw", OpenId = 1, Name = "a", Mode = LockMode.Read });
        using var channel = GrpcChannel.ForAddress(_cluster.FileServerAddresses[0]);
        var server = new FileService.FileServiceClient(channel.WithCapabilityHeader());

        var write = await Assert.ThrowsAsync<RpcException>(() => server.WriteBytesAsync(new WriteBytesRequest
        {
            Object = new ObjectId { Name = "a", Generation = open.File.FileId },
            Capability = open.Capability,
            Segments = { new WriteSegment { Data = Google.Protobuf.ByteString.CopyFromUtf8("x") } },
        }).ResponseAsync);
        var otherId = await FileIdAsync("b");
        var otherFile = await Assert.ThrowsAsync<RpcException>(() => server.ReadBytesAsync(new ReadBytesRequest
        {
            Object = new ObjectId { Name = "b", Generation = otherId },
            Capability = open.Capability,
        }).ResponseAsync);

        Assert.Equal(StatusCode.PermissionDenied, write.StatusCode);
        Assert.Equal(StatusCode.PermissionDenied, otherFile.StatusCode);
    }

    [Fact]
    public async Task AWriterWhoseLeaseExpiredCannotOverwriteItsSuccessor()
    {
        await using var client = await _cluster.ConnectAsync();
        await client.CreateAsync("contended", stripeWidth: 2);
        var fileId = await FileIdAsync("contended");

        // A raw client takes the write lock and then goes silent: it never subscribes, so its
        // lease runs out and the lock passes on.
        var meta = new MetaService.MetaServiceClient(_metaChannel);
        var stale = await meta.OpenAsync(new OpenRequest { ClientId = "zombie", OpenId = 1, Name = "contended", Mode = LockMode.Write });
        await using (var successor = await client.OpenAsync("contended", PfsOpenMode.Write).WaitAsync(Timeout))
        {
            await successor.WriteAsync(Enumerable.Repeat((byte)'N', 1024).ToArray(), 0);
        }

        // The zombie wakes up and writes with its old capability, to both servers of the stripe.
        for (var server = 0; server < 2; server++)
        {
            using var channel = GrpcChannel.ForAddress(_cluster.FileServerAddresses[server]);
            var files = new FileService.FileServiceClient(channel.WithCapabilityHeader());
            var refused = await Assert.ThrowsAsync<RpcException>(() => files.WriteBytesAsync(new WriteBytesRequest
            {
                Object = new ObjectId { Name = "contended", Generation = fileId },
                Capability = stale.Capability,
                Segments = { new WriteSegment { Data = Google.Protobuf.ByteString.CopyFrom(Enumerable.Repeat((byte)'Z', 512).ToArray()) } },
            }).ResponseAsync);
            Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
        }

        var close = await Assert.ThrowsAsync<RpcException>(() => meta.CloseAsync(
            new CloseRequest { ClientId = "zombie", Handle = stale.Handle, Size = 512 }).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, close.StatusCode);
        await using var reader = await client.OpenAsync("contended", PfsOpenMode.Read);
        Assert.All(await TestData.ReadAllAsync(reader, 1024), b => Assert.Equal((byte)'N', b));
    }

    [Fact]
    public async Task TheEpochFloorSurvivesAFileServerRestart()
    {
        await using var client = await _cluster.ConnectAsync();
        await client.CreateAsync("floor", stripeWidth: 1);
        var meta = new MetaService.MetaServiceClient(_metaChannel);
        var old = await meta.OpenAsync(new OpenRequest { ClientId = "old", OpenId = 1, Name = "floor", Mode = LockMode.Write });
        await using (var newer = await client.OpenAsync("floor", PfsOpenMode.Write).WaitAsync(Timeout))
        {
            await newer.WriteAsync(new byte[] { 1 }, 0);
        }

        await _cluster.StopFileServerAsync(0);
        await _cluster.StartFileServerAsync(0);

        using var channel = GrpcChannel.ForAddress(_cluster.FileServerAddresses[0]);
        var refused = await Assert.ThrowsAsync<RpcException>(() => new FileService.FileServiceClient(channel.WithCapabilityHeader()).WriteBytesAsync(new WriteBytesRequest
        {
            Object = new ObjectId { Name = "floor", Generation = old.File.FileId },
            Capability = old.Capability,
        }).ResponseAsync);
        Assert.Equal(StatusCode.FailedPrecondition, refused.StatusCode);
    }

    private async Task<ulong> FileIdAsync(string name) =>
        (await new MetaService.MetaServiceClient(_metaChannel).StatAsync(new StatRequest { Name = name })).File.FileId;
}
