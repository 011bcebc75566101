using Pfs.Client;
using Pfs.LocalCluster;
using Pfs.Tests.Fixtures;

namespace Pfs.Tests.Integration.Client;

/// <summary>A read that fails part-way still writes back the dirty blocks its cache inserts pushed out.</summary>
public sealed class ReadFailureTests
{
    private const int Block = 4096;
    private static readonly TimeSpan Short = TimeSpan.FromSeconds(3);

    [Fact]
    public async Task AReadThatFailsPartWayWritesBackAnotherFilesBlocksItPushedOut()
    {
        await using var cluster = await PfsCluster.StartAsync(fileServers: 2);
        var other = TestData.Bytes(2 * Block, seed: 21);
        await using (var admin = await cluster.ConnectAsync())
        {
            await admin.CreateAsync("dirty", stripeWidth: 1, Block);
            await admin.CreateAsync("other", stripeWidth: 2, Block);
            await using var file = await admin.OpenAsync("other", PfsOpenMode.Write);
            await file.WriteAsync(other, 0);
        }

        await cluster.StopFileServerAsync(1);
        await using var client = await PfsClient.ConnectAsync(new PfsClientOptions
        {
            ClientId = "read-failure",
            MetaServer = cluster.MetaServerAddress,
            CacheBlocks = 4,
            WriteBehindBytes = 0,
            OperationTimeout = Short,
        });

        // Four dirty blocks fill the cache; "dirty" lives on server 0 only.
        var data = TestData.Bytes(4 * Block, seed: 22);
        var writer = await client.OpenAsync("dirty", PfsOpenMode.Write);
        for (var i = 0; i < 4; i++)
        {
            await writer.WriteAsync(data.AsMemory(i * Block, Block), i * Block);
        }

        Assert.Equal(0, client.Stats.Writebacks);

        // Block 0 of "other" comes from server 0 and pushes the oldest dirty block out; block 1 is on
        // the stopped server, so the read fails after that.
        await using (var reader = await client.OpenAsync("other", PfsOpenMode.Read))
        {
            var error = await Assert.ThrowsAsync<PfsException>(() => reader.ReadAsync(new byte[other.Length], 0).AsTask());
            Assert.Equal(PfsErrorCode.Unavailable, error.Code);
        }

        Assert.Equal(1, client.Stats.Writebacks);
        // Without the write-back the pushed-out block would stay pinned and this close would wait for it forever.
        await writer.CloseAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));

        await using var check = await cluster.ConnectAsync();
        await using var file2 = await check.OpenAsync("dirty", PfsOpenMode.Read);
        Assert.Equal(data, await TestData.ReadAllAsync(file2, data.Length));
    }
}
