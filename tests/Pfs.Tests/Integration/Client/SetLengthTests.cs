using Pfs.Client;
using Pfs.Tests.Fixtures;

namespace Pfs.Tests.Integration.Client;

/// <summary>PfsFile.SetLengthAsync against real servers: cut, extend, both in one open, and what other clients see.</summary>
[Collection(ClusterCollection.Name)]
public sealed class SetLengthTests(ClusterFixture fixture)
{
    private const int Block = 512;

    [Fact]
    public async Task AShrinkCutsTheFileAndEveryServersStripeObject()
    {
        var name = fixture.UniqueName("shrink");
        var data = TestData.Bytes((10 * Block) + 100, seed: 11);
        await using var client = await fixture.Cluster.ConnectAsync();
        await client.CreateAsync(name, stripeWidth: 3);
        await WriteAsync(client, name, data, 0);
        const long length = (4 * Block) + 100;

        await using (var file = await client.OpenAsync(name, PfsOpenMode.Write))
        {
            await file.SetLengthAsync(length);
            Assert.Equal(length, (await file.StatAsync()).Size);
        }

        Assert.Equal(length, (await client.StatAsync(name)).Size);
        Assert.Equal(data.AsSpan(0, (int)length).ToArray(), await ReadAllAsync(client, name));
        var fileId = await StripeObjectFiles.FileIdAsync(fixture.Cluster, name);
        // Blocks 0 3 | 1 4(100 bytes) | 2: the cut applied on each server at commit.
        long[] expected = [2 * Block, Block + 100, Block];
        for (var server = 0; server < 3; server++)
        {
            var path = StripeObjectFiles.PathOf(fixture.Cluster, server, fileId);
            await Wait.UntilAsync(() => new FileInfo(path).Length == expected[server], $"server {server}'s object is cut to {expected[server]} bytes");
        }
    }

    [Fact]
    public async Task AnExtensionReadsAsZeros()
    {
        var name = fixture.UniqueName("extend");
        var data = TestData.Bytes(1000, seed: 12);
        await using var client = await fixture.Cluster.ConnectAsync();
        await client.CreateAsync(name, stripeWidth: 2);
        await WriteAsync(client, name, data, 0);

        await using (var file = await client.OpenAsync(name, PfsOpenMode.Write))
        {
            await file.SetLengthAsync(5000);
        }

        var all = await ReadAllAsync(client, name);
        Assert.Equal(5000, all.Length);
        Assert.Equal(data, all[..1000]);
        Assert.All(all[1000..], b => Assert.Equal(0, b));
    }

    [Fact]
    public async Task BytesCutOffReadAsZerosWhenTheFileGrowsAgain()
    {
        var name = fixture.UniqueName("cut-grow");
        var data = TestData.Bytes(10 * Block, seed: 13);
        await using var client = await fixture.Cluster.ConnectAsync();
        await using var other = await fixture.Cluster.ConnectAsync();
        await client.CreateAsync(name, stripeWidth: 3);
        await WriteAsync(client, name, data, 0);

        // Shrink and grow in separate opens, then both in one open (seen by that open before its close too).
        await using (var file = await client.OpenAsync(name, PfsOpenMode.Write))
        {
            await file.SetLengthAsync(700);
        }

        await using (var file = await client.OpenAsync(name, PfsOpenMode.Write))
        {
            await file.SetLengthAsync(10 * Block);
        }

        var all = await ReadAllAsync(other, name);
        Assert.Equal(data[..700], all[..700]);
        Assert.All(all[700..], b => Assert.Equal(0, b));

        await WriteAsync(client, name, data, 0);
        await using (var file = await client.OpenAsync(name, PfsOpenMode.Write))
        {
            await file.SetLengthAsync(300);
            await file.SetLengthAsync(8 * Block);
            var own = await TestData.ReadAllAsync(file, 8 * Block);
            Assert.Equal(data[..300], own[..300]);
            Assert.All(own[300..], b => Assert.Equal(0, b));
        }

        all = await ReadAllAsync(other, name);
        Assert.Equal(8 * Block, all.Length);
        Assert.Equal(data[..300], all[..300]);
        Assert.All(all[300..], b => Assert.Equal(0, b));
    }

    [Fact]
    public async Task WritesBeforeAndAfterAShrinkLandInOrder()
    {
        var name = fixture.UniqueName("shrink-write");
        var data = TestData.Bytes(10 * Block, seed: 14);
        await using var client = await fixture.Cluster.ConnectAsync();
        await client.CreateAsync(name, stripeWidth: 3);
        await WriteAsync(client, name, data, 0);
        var expected = data.ToArray();

        await using (var file = await client.OpenAsync(name, PfsOpenMode.Write))
        {
            // Dirty in the cache before the cut: block 1 survives in part, block 8 is cut off unseen.
            await file.WriteAsync(new byte[] { 1, 2, 3 }, Block + 10);
            await file.WriteAsync(new byte[] { 4, 5, 6 }, (8 * Block) + 10);
            await file.SetLengthAsync((3 * Block) + 10);
            await file.WriteAsync(new byte[] { 7, 8, 9 }, (6 * Block) + 5);
        }

        new byte[] { 1, 2, 3 }.CopyTo(expected, Block + 10);
        Array.Clear(expected, (3 * Block) + 10, expected.Length - ((3 * Block) + 10));
        new byte[] { 7, 8, 9 }.CopyTo(expected, (6 * Block) + 5);
        var all = await ReadAllAsync(client, name);
        Assert.Equal(expected[..((6 * Block) + 8)], all);
    }

    [Fact]
    public async Task AShrinkRightAfterWritesStillInFlightCutsThem()
    {
        var name = fixture.UniqueName("shrink-inflight");
        var data = TestData.Bytes(40 * Block, seed: 15);
        // Four cached blocks: most of the write is pushed out and written back behind the call.
        await using var client = await fixture.Cluster.ConnectAsync(cacheBlocks: 4);
        await client.CreateAsync(name, stripeWidth: 3);

        await using (var file = await client.OpenAsync(name, PfsOpenMode.Write))
        {
            await file.WriteAsync(data, 0);
            await file.SetLengthAsync((2 * Block) + 5);
            await file.SetLengthAsync(40 * Block);
        }

        await using var reader = await fixture.Cluster.ConnectAsync();
        var all = await ReadAllAsync(reader, name);
        Assert.Equal(data[..((2 * Block) + 5)], all[..((2 * Block) + 5)]);
        Assert.All(all[((2 * Block) + 5)..], b => Assert.Equal(0, b));
    }

    [Fact]
    public async Task DirtyBlocksPastTheNewEndNeverReachTheServers()
    {
        var name = fixture.UniqueName("shrink-dirty");
        await using var client = await fixture.Cluster.ConnectAsync();
        await client.CreateAsync(name, stripeWidth: 3);

        await using (var file = await client.OpenAsync(name, PfsOpenMode.Write))
        {
            await file.WriteAsync(TestData.Bytes(10 * Block, seed: 16), 0);
            await file.SetLengthAsync(Block + 1);
        }

        // Blocks 0 and 1 written at the close; the other eight were dropped.
        Assert.Equal(2, client.Stats.CloseWritebacks);
        Assert.Equal(8, client.Stats.CloseEvictions);
        Assert.Equal(Block + 1, (await client.StatAsync(name)).Size);
    }

    [Fact]
    public async Task OtherClientsDropExactlyTheChangedBlocksAndSeeTheLengthAfterTheClose()
    {
        var name = fixture.UniqueName("shrink-notice");
        await using var reader = await fixture.Cluster.ConnectAsync();
        await using var writer = await fixture.Cluster.ConnectAsync();
        await writer.CreateAsync(name, stripeWidth: 3);
        var data = TestData.Bytes(10 * Block, seed: 17);
        await WriteAsync(writer, name, data, 0);
        Assert.Equal(data, await ReadAllAsync(reader, name)); // all ten blocks cached by the reader
        var before = reader.Stats;

        await using (var file = await writer.OpenAsync(name, PfsOpenMode.Write))
        {
            await file.SetLengthAsync((4 * Block) + 100);
            // Not published before the close.
            Assert.Equal(10 * Block, (await reader.StatAsync(name)).Size);
        }

        // Opening waits until the notice is applied: blocks 4 to 9 dropped, 0 to 3 still cached.
        await using var again = await reader.OpenAsync(name, PfsOpenMode.Read);
        Assert.Equal((4 * Block) + 100, (await again.StatAsync()).Size);
        Assert.Equal(before.Invalidations + 6, reader.Stats.Invalidations);
        var all = await TestData.ReadAllAsync(again, (4 * Block) + 100);
        Assert.Equal(data[..((4 * Block) + 100)], all);
        Assert.Equal(before.ReadHits + 4, reader.Stats.ReadHits);
        Assert.Equal(0, await again.ReadAsync(new byte[10], (4 * Block) + 100));
    }

    [Fact]
    public async Task ReadOpensNegativeLengthsAndReadOnlyStreamsAreRefused()
    {
        var name = fixture.UniqueName("setlength-refused");
        await using var client = await fixture.Cluster.ConnectAsync();
        await client.CreateAsync(name, stripeWidth: 1);

        await using (var file = await client.OpenAsync(name, PfsOpenMode.Read))
        {
            Assert.Equal(PfsErrorCode.WrongMode, (await Assert.ThrowsAsync<PfsException>(() => file.SetLengthAsync(1))).Code);
        }

        await using (var file = await client.OpenAsync(name, PfsOpenMode.Write))
        {
            Assert.Equal(PfsErrorCode.InvalidArgument, (await Assert.ThrowsAsync<PfsException>(() => file.SetLengthAsync(-1))).Code);
            Assert.Equal(PfsErrorCode.InvalidArgument, (await Assert.ThrowsAsync<PfsException>(() => file.SetLengthAsync(long.MaxValue))).Code);
        }

        Assert.Equal(0, (await client.StatAsync(name)).Size);
    }

    [Fact]
    public async Task AWritableStreamSetsTheLength()
    {
        var name = fixture.UniqueName("stream-setlength");
        await using var client = await fixture.Cluster.ConnectAsync();
        await client.CreateAsync(name, stripeWidth: 2);
        await WriteAsync(client, name, TestData.Bytes(3000, seed: 18), 0);

        await using (var file = await client.OpenAsync(name, PfsOpenMode.Write))
        await using (var stream = file.AsStream())
        {
            stream.SetLength(1234);
            Assert.Equal(1234, stream.Length);
        }

        Assert.Equal(1234, (await client.StatAsync(name)).Size);
    }

    private static async Task WriteAsync(PfsClient client, string name, byte[] data, long offset)
    {
        await using var file = await client.OpenAsync(name, PfsOpenMode.Write);
        await file.WriteAsync(data, offset);
    }

    private static async Task<byte[]> ReadAllAsync(PfsClient client, string name)
    {
        await using var file = await client.OpenAsync(name, PfsOpenMode.Read);
        return await TestData.ReadAllAsync(file, (await file.StatAsync()).Size);
    }
}
