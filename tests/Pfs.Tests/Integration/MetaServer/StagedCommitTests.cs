using Google.Protobuf;
using Grpc.Net.Client;
using Pfs.Client;
using Pfs.LocalCluster;
using Pfs.Protocol.FileServer;
using Pfs.Protocol.Meta;
using Pfs.Tests.Fixtures;

namespace Pfs.Tests.Integration.MetaServer;

/// <summary>
/// The commit of a writer's staged bytes, driven over the wire without the client library, so the
/// test can take a file server away between the writer's last write and its close.
/// </summary>
public sealed class StagedCommitTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task ACommitThatCannotReachAServerStaysPendingUntilTheNextHolderAppliesIt()
    {
        // Arrange: a writer stages one block on each of two servers.
        await using var cluster = await PfsCluster.StartAsync(fileServers: 2).WaitAsync(Timeout);
        await using var client = await cluster.ConnectAsync(operationTimeout: Timeout);
        await client.CreateAsync("pending", stripeWidth: 2, blockSize: 512);
        using var metaChannel = GrpcChannel.ForAddress(cluster.MetaServerAddress);
        var meta = new MetaService.MetaServiceClient(metaChannel);
        var open = await meta.OpenAsync(new OpenRequest { ClientId = "raw", OpenId = 1, Name = "pending", Mode = LockMode.Write });
        var block0 = Enumerable.Repeat((byte)'A', 512).ToArray();
        var block1 = Enumerable.Repeat((byte)'B', 512).ToArray();
        await WriteAsync(cluster.FileServerAddresses[0], open.Capability, block0);
        await WriteAsync(cluster.FileServerAddresses[1], open.Capability, block1);

        // Act: server 1 goes down before the close, so its commit call fails.
        await cluster.StopFileServerAsync(1);
        await meta.CloseAsync(new CloseRequest
        {
            ClientId = "raw",
            Handle = open.Handle,
            Size = 1024,
            Dirty = { new BlockRange { Start = 0, Count = 2 } },
            WrittenServers = { 0, 1 },
        }).ResponseAsync.WaitAsync(Timeout);
        await cluster.StartFileServerAsync(1);
        var afterRestart = await meta.OpenAsync(new OpenRequest { ClientId = "raw", OpenId = 2, Name = "pending", Mode = LockMode.Read });
        await meta.CloseAsync(new CloseRequest { ClientId = "raw", Handle = afterRestart.Handle });

        await using var reader = await cluster.ConnectAsync(operationTimeout: Timeout);
        var seen = new byte[1024];
        await using (var file = await reader.OpenAsync("pending", PfsOpenMode.Read))
        {
            Assert.Equal(1024, await file.ReadAsync(seen, 0));
        }

        // A later writer's close finds every server up and confirms the old commit everywhere.
        await using (var writer = await client.OpenAsync("pending", PfsOpenMode.Write))
        {
            await writer.WriteAsync("C"u8.ToArray(), 0);
        }

        var afterConfirm = await meta.OpenAsync(new OpenRequest { ClientId = "raw", OpenId = 3, Name = "pending", Mode = LockMode.Read });

        // Assert
        Assert.Equal([open.Capability.Epoch], afterRestart.Capability.Committed);
        Assert.Equal([.. block0, .. block1], seen);
        Assert.Empty(afterConfirm.Capability.Committed);
    }

    private static async Task WriteAsync(Uri server, Capability capability, byte[] block)
    {
        using var channel = GrpcChannel.ForAddress(server);
        var files = new FileService.FileServiceClient(channel.WithCapabilityHeader());
        var request = new WriteBytesRequest
        {
            Object = new ObjectId { Name = capability.Name, Generation = capability.Generation },
            Capability = capability,
            Sync = true,
            Segments = { new WriteSegment { Offset = 0, Data = ByteString.CopyFrom(block) } },
        };
        await files.WriteBytesAsync(request).ResponseAsync.WaitAsync(Timeout);
    }
}
