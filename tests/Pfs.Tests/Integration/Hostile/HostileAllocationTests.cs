using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Pfs.LocalCluster;
using Pfs.Protocol;
using Pfs.Protocol.FileServer;
using Pfs.Tests.Fixtures;

namespace Pfs.Tests.Integration.Hostile;

/// <summary>
/// Allocation checks read the whole test process's allocation counter, so they run alone, with the
/// load test, after the parallel tests (another test allocating meanwhile made this one flaky).
/// </summary>
[Collection(Load.LoadCollection.Name)]
public sealed class HostileAllocationTests
{
    [Fact]
    public async Task AReadClaimingTwoGigabytesAllocatesOnlyWhatExists()
    {
        await using var cluster = await PfsCluster.StartAsync(fileServers: 1);
        using var channel = GrpcChannel.ForAddress(cluster.FileServerAddresses[0]);
        var files = new FileService.FileServiceClient(channel.WithCapabilityHeader());
        var signer = new CapabilitySigner(Convert.FromBase64String(cluster.ClusterKey));
        var id = new ObjectId { Name = "small", Generation = 7 };
        var capability = signer.Sign("small", 7, write: true, 1, "fuzz");
        await files.WriteBytesAsync(new WriteBytesRequest { Object = id, Capability = capability, Segments = { new WriteSegment { Data = ByteString.CopyFromUtf8("tiny") } } });

        var before = GC.GetTotalAllocatedBytes(precise: true);
        var error = await Assert.ThrowsAsync<RpcException>(() => files.ReadBytesAsync(new ReadBytesRequest
        {
            Object = id,
            Capability = capability,
            Ranges = { new ByteRange { Offset = 0, Length = int.MaxValue } },
        }).ResponseAsync);
        var reply = await files.ReadBytesAsync(new ReadBytesRequest
        {
            Object = id,
            Capability = capability,
            Ranges = { new ByteRange { Offset = 0, Length = PfsLimits.MaxReadBytesPerCall } },
        });
        var allocated = GC.GetTotalAllocatedBytes(precise: true) - before;

        Assert.Equal(StatusCode.InvalidArgument, error.StatusCode);
        Assert.Equal("tiny", reply.Data[0].ToStringUtf8());
        Assert.True(allocated < 8 * 1024 * 1024, $"two reads of a 4-byte object allocated {allocated:N0} bytes");
    }
}
