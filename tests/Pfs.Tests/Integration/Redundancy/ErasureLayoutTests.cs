using Pfs.Client;
using Pfs.LocalCluster;
using Pfs.Tests.Fixtures;

namespace Pfs.Tests.Integration.Redundancy;

/// <summary>
/// Files with K data and M parity blocks per stripe on real (in-process) servers: every K + M up to a
/// width of 8 reads back what was written, also with any M of its servers stopped, which only holds
/// if the parity on the servers is right after sequential, partial and overwriting writes.
/// </summary>
public sealed class ErasureLayoutTests
{
    private const int Block = 4096;

    public static TheoryData<int, int> Codes() => new()
    {
        { 1, 1 }, { 1, 3 }, { 2, 1 }, { 2, 2 }, { 3, 2 }, { 4, 2 }, { 4, 4 }, { 5, 3 }, { 6, 2 }, { 7, 1 },
    };

    [Theory]
    [MemberData(nameof(Codes))]
    public async Task AFileWithParityReadsBackWholeAndWithAnyMServersStopped(int k, int m)
    {
        await using var cluster = await PfsCluster.StartAsync(fileServers: 8);
        var name = $"ec-{k}-{m}";
        // Three whole stripes and a partial one, written in pieces that cut blocks and stripes anywhere.
        var data = TestData.Bytes((3 * k * Block) + (Block / 2) + 7, seed: (k * 10) + m);
        await using (var writer = await cluster.ConnectAsync(cacheBlocks: 8))
        {
            await writer.CreateAsync(name, new PfsCreateOptions { StripeWidth = k, ParityBlocks = m, BlockSize = Block });
            await using var file = await writer.OpenAsync(name, PfsOpenMode.Write);
            var random = new Random(k + m);
            for (var at = 0; at < data.Length;)
            {
                var length = Math.Min(data.Length - at, random.Next(1, 3 * Block));
                await file.WriteAsync(data.AsMemory(at, length), at);
                at += length;
            }
        }

        // Overwrites in a second open: one byte, a block's tail and head across two stripes.
        var patch = TestData.Bytes(Block, seed: 99);
        long[] offsets = [5, (k * Block) - (Block / 2), (2L * k * Block) + 100];
        await using (var writer = await cluster.ConnectAsync(cacheBlocks: 4))
        {
            await using var file = await writer.OpenAsync(name, PfsOpenMode.Write);
            foreach (var offset in offsets)
            {
                var length = offset == 5 ? 1 : Block;
                await file.WriteAsync(patch.AsMemory(0, length), offset);
                patch.AsSpan(0, length).CopyTo(data.AsSpan((int)offset));
            }
        }

        Assert.Equal(data, await ReadAllAsync(cluster, name));
        var info = await (await cluster.ConnectAsync()).StatAsync(name);
        Assert.Equal(m, info.ParityBlocks);
        Assert.False(info.IsDegraded);

        // Every window of M consecutive positions: data shards and parity shards both go missing.
        for (var first = 0; first < k + m; first++)
        {
            var stopped = Enumerable.Range(first, m).Select(p => p % (k + m)).ToList();
            foreach (var position in stopped)
            {
                await cluster.StopFileServerAsync(position);
            }

            Assert.Equal(data, await ReadAllAsync(cluster, name));
            foreach (var position in stopped)
            {
                await cluster.StartFileServerAsync(position);
            }
        }
    }

    [Fact]
    public async Task ACutOfAFileWithParityKeepsItsParityRight()
    {
        await using var cluster = await PfsCluster.StartAsync(fileServers: 5);
        const string Name = "ec-cut";
        var data = TestData.Bytes(9 * Block, seed: 5);
        await using (var client = await cluster.ConnectAsync())
        {
            await client.CreateAsync(Name, new PfsCreateOptions { StripeWidth = 3, ParityBlocks = 2, BlockSize = Block });
            await using (var file = await client.OpenAsync(Name, PfsOpenMode.Write))
            {
                await file.WriteAsync(data, 0);
            }

            await using (var file = await client.OpenAsync(Name, PfsOpenMode.Write))
            {
                // Into the middle of the second stripe, then longer again: the cut-off bytes read as zeros.
                await file.SetLengthAsync((4 * Block) + 10);
                await file.SetLengthAsync(7 * Block);
            }
        }

        var expected = new byte[7 * Block];
        data.AsSpan(0, (4 * Block) + 10).CopyTo(expected);
        Assert.Equal(expected, await ReadAllAsync(cluster, Name));
        await cluster.StopFileServerAsync(0);
        await cluster.StopFileServerAsync(1);
        Assert.Equal(expected, await ReadAllAsync(cluster, Name));
    }

    private static async Task<byte[]> ReadAllAsync(PfsCluster cluster, string name)
    {
        // A fresh client: nothing cached, every byte comes from the servers.
        await using var client = await cluster.ConnectAsync(operationTimeout: TimeSpan.FromSeconds(20));
        await using var file = await client.OpenAsync(name, PfsOpenMode.Read);
        var size = (await file.StatAsync()).Size;
        return await TestData.ReadAllAsync(file, size);
    }
}
