using Google.Protobuf;
using Grpc.Core;
using Pfs.Client;
using Pfs.Protocol;
using Pfs.Protocol.FileServer;
using Pfs.Tests.Fixtures;

namespace Pfs.Tests.Integration.Checksums;

/// <summary>
/// End-to-end checksums and the scrub (issue 13 items 3 and 5), against real server processes and real
/// files on disk: damage on a disk is never served, is reported, and is found by the scrub too; damage
/// on the wire is refused.
/// </summary>
public sealed class ChecksumProcessTests
{
    private const int BlockSize = 4096;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task AFlippedByteOnDiskFailsTheReadAsDataLossNamingFileAndOffsetWhileOtherBlocksStillRead()
    {
        // Arrange: 8 blocks over 2 servers; block 5 lives on server 1 as its local block 2
        await using var cluster = await ChecksumCluster.StartAsync(fileServers: 2, scrubMbps: 0);
        var data = TestData.Bytes(8 * BlockSize, 13);
        await cluster.WriteFileAsync("dir-less.bin", new PfsCreateOptions { StripeWidth = 2, BlockSize = BlockSize }, data);

        var id = await cluster.FileIdAsync("dir-less.bin");
        ChecksumCluster.FlipByte(cluster.ObjectFile(1, id), (2 * BlockSize) + 100);

        // Act
        await using var reader = await cluster.ConnectAsync();
        await using var file = await reader.OpenAsync("dir-less.bin", PfsOpenMode.Read);
        var error = await Assert.ThrowsAsync<PfsException>(async () => await file.ReadAsync(new byte[BlockSize], 5 * BlockSize).AsTask().WaitAsync(Timeout));
        var others = new byte[5 * BlockSize];
        await file.ReadAsync(others, 0).AsTask().WaitAsync(Timeout);
        var last = new byte[2 * BlockSize];
        await file.ReadAsync(last, 6 * BlockSize).AsTask().WaitAsync(Timeout);

        // Assert
        Assert.Equal(PfsErrorCode.DataLoss, error.Code);
        Assert.Contains("dir-less.bin", error.Message, StringComparison.Ordinal);
        Assert.Contains($"byte offset {5 * BlockSize}", error.Message, StringComparison.Ordinal);
        Assert.Equal(data.AsSpan(0, 5 * BlockSize).ToArray(), others);
        Assert.Equal(data.AsSpan(6 * BlockSize).ToArray(), last);
        var damage = await cluster.ListDamageAsync(1);
        var block = Assert.Single(damage);
        Assert.Equal((id, 2L * BlockSize, BlockSize, 2L), (block.Generation, block.Offset, block.BlockSize, block.BlockIndex));
        Assert.Empty(await cluster.ListDamageAsync(0));
    }

    [Fact]
    public async Task AnObjectCutShortUnderARunningServerFailsTheReadOfItsLostBlocksAsDataLossAndRepairNamesTheFile()
    {
        // Arrange: 8 blocks over 2 servers, no parity; server 1 holds blocks 1, 3, 5, 7 as its local blocks 0..3
        await using var cluster = await ChecksumCluster.StartAsync(fileServers: 2, scrubMbps: 0);
        var data = TestData.Bytes(8 * BlockSize, 29);
        await cluster.WriteFileAsync("cut.bin", new PfsCreateOptions { StripeWidth = 2, BlockSize = BlockSize }, data);
        var id = await cluster.FileIdAsync("cut.bin");

        // Act: the object loses everything after its first block behind the server's back (its sums stay)
        using (var handle = File.OpenHandle(cluster.ObjectFile(1, id), FileMode.Open, FileAccess.Write))
        {
            RandomAccess.SetLength(handle, BlockSize);
        }

        await using var reader = await cluster.ConnectAsync();
        await using var file = await reader.OpenAsync("cut.bin", PfsOpenMode.Read);
        var error = await Assert.ThrowsAsync<PfsException>(async () => await file.ReadAsync(new byte[BlockSize], 3 * BlockSize).AsTask().WaitAsync(Timeout));
        var first = new byte[3 * BlockSize];
        await file.ReadAsync(first, 0).AsTask().WaitAsync(Timeout);
        var report = await reader.RepairAsync().WaitAsync(Timeout);

        // Assert: the lost block is an error, not zeros; the blocks still there read as written
        Assert.Equal(PfsErrorCode.DataLoss, error.Code);
        Assert.Contains("cut.bin", error.Message, StringComparison.Ordinal);
        Assert.Contains($"byte offset {3 * BlockSize}", error.Message, StringComparison.Ordinal);
        Assert.Equal(data.AsSpan(0, 3 * BlockSize).ToArray(), first);
        Assert.Contains(1L * BlockSize, (await cluster.ListDamageAsync(1)).Select(block => block.Offset));
        var failure = Assert.Single(report.Failures);
        Assert.Equal("cut.bin", failure.Name);
    }

    [Fact]
    public async Task AnObjectRemovedUnderARunningServerFailsTheReadAsDataLossAndTheScrubListsItsBlocks()
    {
        // Arrange
        await using var cluster = await ChecksumCluster.StartAsync(fileServers: 1, scrubMbps: 1000);
        var data = TestData.Bytes(4 * BlockSize, 31);
        await cluster.WriteFileAsync("gone.bin", new PfsCreateOptions { StripeWidth = 1, BlockSize = BlockSize }, data);
        var id = await cluster.FileIdAsync("gone.bin");

        // Act: the object file is deleted behind the server's back (its sums stay); nobody reads it until the scrub has been
        File.Delete(cluster.ObjectFile(0, id));
        await Wait.UntilAsync(async () => (await cluster.ListDamageAsync(0)).Count == 4, "the scrub lists every block of the removed object", Timeout);
        var listed = await cluster.ListDamageAsync(0);
        await using var reader = await cluster.ConnectAsync();
        await using var file = await reader.OpenAsync("gone.bin", PfsOpenMode.Read);
        var error = await Assert.ThrowsAsync<PfsException>(async () => await file.ReadAsync(new byte[4 * BlockSize], 0).AsTask().WaitAsync(Timeout));

        // Assert: the scrub, which used to stop at an object's last byte, found all four lost blocks, and the read fails
        Assert.Equal(PfsErrorCode.DataLoss, error.Code);
        Assert.Contains("byte offset 0", error.Message, StringComparison.Ordinal);
        Assert.Equal([0L, 1L, 2L, 3L], listed.Select(block => block.BlockIndex).Order());
    }

    [Fact]
    public async Task TheScrubFindsAFlippedByteNobodyRead()
    {
        // Arrange
        await using var cluster = await ChecksumCluster.StartAsync(fileServers: 1, scrubMbps: 1000);
        await cluster.WriteFileAsync("unread.bin", new PfsCreateOptions { StripeWidth = 1, BlockSize = BlockSize }, TestData.Bytes(16 * BlockSize, 17));

        var id = await cluster.FileIdAsync("unread.bin");

        // Act: nobody reads the file again
        ChecksumCluster.FlipByte(cluster.ObjectFile(0, id), (11 * BlockSize) + 5);

        // Assert
        await Wait.UntilAsync(async () => (await cluster.ListDamageAsync(0)).Count > 0, "the scrub lists the damaged block", Timeout);
        var block = Assert.Single(await cluster.ListDamageAsync(0));
        Assert.Equal((id, 11L * BlockSize, 11L), (block.Generation, block.Offset, block.BlockIndex));
    }

    [Fact]
    public async Task ASumThatDoesNotMatchItsBytesOnTheWireIsRefusedAsDataLossAndNothingIsStaged()
    {
        // Arrange
        await using var cluster = await ChecksumCluster.StartAsync(fileServers: 1, scrubMbps: 0);
        using var channel = cluster.FileServerChannel(0);
        var service = new FileService.FileServiceClient(channel.WithCapabilityHeader());
        var id = new ObjectId { Name = "wire", Generation = 0x99 };
        var data = TestData.Bytes(2 * BlockSize, 19);
        var sums = new uint[2];
        BlockChecksum.ComputeAll(data, BlockSize, sums);
        data[BlockSize + 3] ^= 1; // damaged after it was summed

        // Act
        var refused = await Assert.ThrowsAsync<RpcException>(() => service.WriteBytesAsync(new WriteBytesRequest
        {
            Object = id,
            Capability = TestCaps.Write(id),
            ChecksumBlock = BlockSize,
            Segments = { new WriteSegment { Offset = 0, Data = ByteString.CopyFrom(data), Sums = { sums } } },
        }).ResponseAsync.WaitAsync(Timeout));

        // Assert
        Assert.Equal(StatusCode.DataLoss, refused.StatusCode);
        Assert.Empty(StripeObjectFiles.StageFiles(cluster.DataDirectories[0]));
        Assert.False(File.Exists(cluster.ObjectFile(0, id.Generation)));
    }

    [Fact]
    public async Task AVersionTwoWriteWithoutSumsStillWorksAndReadsBackWithSums()
    {
        // Arrange
        await using var cluster = await ChecksumCluster.StartAsync(fileServers: 1, scrubMbps: 0);
        using var channel = cluster.FileServerChannel(0);
        var service = new FileService.FileServiceClient(channel.WithCapabilityHeader());
        var id = new ObjectId { Name = "v2", Generation = 0x9a };
        var data = TestData.Bytes(BlockSize + 10, 23);

        // Act: written as a version 2 client does (no checksum block, no sums), committed, read as version 3
        await service.WriteBytesAsync(new WriteBytesRequest
        {
            Object = id,
            Capability = TestCaps.Write(id),
            Segments = { new WriteSegment { Offset = 0, Data = ByteString.CopyFrom(data) } },
        }).ResponseAsync.WaitAsync(Timeout);
        await service.CommitObjectAsync(new CommitObjectRequest { Object = id, Capability = TestCaps.Commit(id) }).ResponseAsync.WaitAsync(Timeout);
        var reply = await service.ReadBytesAsync(new ReadBytesRequest
        {
            Object = id,
            Capability = TestCaps.Read(id),
            ChecksumBlock = BlockSize,
            Ranges = { new ByteRange { Offset = 0, Length = 2 * BlockSize } },
        }).ResponseAsync.WaitAsync(Timeout);

        // Assert
        Assert.Equal(data, reply.Data[0].ToByteArray());
        var expected = new uint[2];
        BlockChecksum.ComputeAll(data, BlockSize, expected);
        Assert.Equal(expected, reply.Sums);
        Assert.Empty(reply.Damaged);
    }
}
