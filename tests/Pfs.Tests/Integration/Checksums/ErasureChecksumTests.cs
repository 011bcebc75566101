using Pfs.Client;
using Pfs.Tests.Fixtures;
using Pfs.Tests.Integration.Cli;

namespace Pfs.Tests.Integration.Checksums;

/// <summary>
/// Checksums under parity (issue 13 items 3 and 4): a shard damaged on a disk is read around like a
/// server that is down, so the reader gets the right bytes and no error, and the file server lists the
/// damage; the reader reports what it read around, so the file counts as degraded. Real server
/// processes, a byte flipped in (or a whole object removed from) a real data directory.
/// </summary>
public sealed class ErasureChecksumTests
{
    private const int BlockSize = 4096;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    // The 2+1 layout of these files: three servers, any one of which may be read around.
    private static PfsCreateOptions Coded => new() { StripeWidth = 2, ParityBlocks = 1, BlockSize = BlockSize };

    [Fact]
    public async Task AShardDamagedOnDiskIsDecodedAroundAndTheReadGetsTheRightBytes()
    {
        // Arrange: a 2+1 file of 4 stripes. Stripe s keeps data shard j on position (j + s) % 3, at local
        // offset s x block size: stripe 1's first data block (file block 2) lives on server 1.
        await using var cluster = await ChecksumCluster.StartAsync(fileServers: 3, scrubMbps: 0);
        var data = TestData.Bytes(8 * BlockSize, 29);
        await cluster.WriteFileAsync("coded.bin", Coded, data);

        var id = await cluster.FileIdAsync("coded.bin");
        ChecksumCluster.FlipByte(cluster.ObjectFile(1, id), BlockSize + 100);

        // Act
        var read = await cluster.ReadAllAsync("coded.bin", data.Length);

        // Assert
        Assert.Equal(data, read);
        var damaged = Assert.Single(await cluster.ListDamageAsync(1));
        Assert.Equal((id, (long)BlockSize), (damaged.Generation, damaged.Offset));
    }

    [Fact]
    public async Task AReadThatFindsADamagedShardReportsItAndTheFileShowsDegraded()
    {
        // Arrange: stripe 2's first data block (file block 4) lives on position (0 + 2) % 3 = 2.
        await using var cluster = await ChecksumCluster.StartAsync(fileServers: 3, scrubMbps: 0);
        var data = TestData.Bytes(8 * BlockSize, 31);
        await using var client = await cluster.ConnectAsync();
        await cluster.WriteFileAsync("reported.bin", Coded, data);
        var id = await cluster.FileIdAsync("reported.bin");
        ChecksumCluster.FlipByte(cluster.ObjectFile(2, id), (2 * BlockSize) + 7);
        Assert.False((await client.StatAsync("reported.bin")).IsDegraded);

        // Act
        var read = await cluster.ReadAllAsync("reported.bin", data.Length);

        // Assert: the bytes are right, and the report arrives in the background
        Assert.Equal(data, read);
        await Wait.UntilAsync(async () => (await client.StatAsync("reported.bin")).IsDegraded, "the reader's damage report marks the file degraded", Timeout);
        Assert.Equal([2], (await client.StatAsync("reported.bin")).StalePositions);
        var stat = await CliRunner.RunRawAsync(["--meta", cluster.MetaAddress.ToString(), "stat", "reported.bin"]);
        Assert.True(stat.ExitCode == 0, stat.ToString());
        Assert.Contains("redundancy:    degraded (stale positions 2;", stat.Stdout, StringComparison.Ordinal);
        Assert.Equal(1, (await client.GetClusterStatusAsync()).DegradedFiles);
    }

    [Fact]
    public async Task AShardAServerNoLongerHoldsIsReadAroundAndReported()
    {
        // Arrange: server 1 loses the file's object (its data went, the server stayed up).
        await using var cluster = await ChecksumCluster.StartAsync(fileServers: 3, scrubMbps: 0);
        var data = TestData.Bytes((6 * BlockSize) + 100, 37);
        await using var client = await cluster.ConnectAsync();
        await cluster.WriteFileAsync("lost.bin", Coded, data);
        var id = await cluster.FileIdAsync("lost.bin");
        File.Delete(cluster.ObjectFile(1, id));

        // Act
        var read = await cluster.ReadAllAsync("lost.bin", data.Length);

        // Assert: never zeros for the lost shards; the position is stale once the report lands
        Assert.Equal(data, read);
        await Wait.UntilAsync(async () => (await client.StatAsync("lost.bin")).IsDegraded, "the reader's report of the lost shards marks the file degraded", Timeout);
        Assert.Equal([1], (await client.StatAsync("lost.bin")).StalePositions);
    }

    [Fact]
    public async Task ASparseFileWithParityReadsItsHolesAsZeros()
    {
        // Arrange: only file block 5 (stripe 2) is written; stripes 0 and 1 have no shards anywhere, and
        // stripe 2's first data shard none: they read short, and are holes, not losses.
        await using var cluster = await ChecksumCluster.StartAsync(fileServers: 3, scrubMbps: 0);
        await using var client = await cluster.ConnectAsync();
        await client.CreateAsync("sparse.bin", Coded);
        var block = TestData.Bytes(BlockSize, 41);
        await using (var writer = await client.OpenAsync("sparse.bin", PfsOpenMode.Write))
        {
            await writer.WriteAsync(block, 5 * BlockSize);
        }

        // Act
        var read = await cluster.ReadAllAsync("sparse.bin", 6 * BlockSize);

        // Assert
        var expected = new byte[6 * BlockSize];
        block.CopyTo(expected, 5 * BlockSize);
        Assert.Equal(expected, read);
    }
}
