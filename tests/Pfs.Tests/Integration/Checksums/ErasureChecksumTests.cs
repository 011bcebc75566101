using Pfs.Client;
using Pfs.Tests.Fixtures;

namespace Pfs.Tests.Integration.Checksums;

/// <summary>
/// Checksums under parity (issue 13 items 3 and 4): a shard damaged on a disk is read around like a
/// server that is down, so the reader gets the right bytes and no error, and the file server lists the
/// damage. Real server processes, a byte flipped in a real object file.
/// </summary>
public sealed class ErasureChecksumTests
{
    private const int BlockSize = 4096;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task AShardDamagedOnDiskIsDecodedAroundAndTheReadGetsTheRightBytes()
    {
        // Arrange: a 2+1 file of 4 stripes. Stripe s keeps data shard j on position (j + s) % 3, at local
        // offset s x block size: stripe 1's first data block (file block 2) lives on server 1.
        await using var cluster = await ChecksumCluster.StartAsync(fileServers: 3, scrubMbps: 0);
        var data = TestData.Bytes(8 * BlockSize, 29);
        await using (var client = await cluster.ConnectAsync())
        {
            await client.CreateAsync("coded.bin", new PfsCreateOptions { StripeWidth = 2, ParityBlocks = 1, BlockSize = BlockSize });
            await using var writer = await client.OpenAsync("coded.bin", PfsOpenMode.Write);
            await writer.WriteAsync(data, 0);
            await writer.CloseAsync();
        }

        var id = await cluster.FileIdAsync("coded.bin");
        ChecksumCluster.FlipByte(cluster.ObjectFile(1, id), BlockSize + 100);

        // Act
        await using var reader = await cluster.ConnectAsync();
        await using var file = await reader.OpenAsync("coded.bin", PfsOpenMode.Read);
        var read = new byte[data.Length];
        var count = await file.ReadAsync(read, 0).AsTask().WaitAsync(Timeout);

        // Assert
        Assert.Equal(data.Length, count);
        Assert.Equal(data, read);
        var damaged = Assert.Single(await ChecksumProcessTests.ListDamageAsync(cluster, 1));
        Assert.Equal((id, (long)BlockSize), (damaged.Generation, damaged.Offset));
    }
}
