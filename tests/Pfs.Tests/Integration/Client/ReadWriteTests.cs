using System.Security.Cryptography;
using Pfs.Client;
using Pfs.Tests.Fixtures;
using Xunit.Abstractions;

namespace Pfs.Tests.Integration.Client;

[Collection(ClusterCollection.Name)]
public sealed class ReadWriteTests(ClusterFixture fixture, ITestOutputHelper output)
{
    [Fact]
    public async Task WrittenBytesReadBackAfterClose()
    {
        await using var client = await fixture.Cluster.ConnectAsync();
        var name = fixture.UniqueName("round-trip");
        var data = TestData.Bytes(5000, seed: 1);
        await client.CreateAsync(name, stripeWidth: 3);

        await using (var writer = await client.OpenAsync(name, PfsOpenMode.Write))
        {
            await writer.WriteAsync(data, 0);
        }

        await using var other = await fixture.Cluster.ConnectAsync();
        await using var reader = await other.OpenAsync(name, PfsOpenMode.Read);
        Assert.Equal(data, await TestData.ReadAllAsync(reader, data.Length));
    }

    [Fact]
    public async Task StripedRoundTripOf32MiBMatchesByHash()
    {
        const int size = 32 * 1024 * 1024;
        await using var writerClient = await fixture.Cluster.ConnectAsync();
        await using var readerClient = await fixture.Cluster.ConnectAsync();
        var name = fixture.UniqueName("big");
        var data = TestData.Bytes(size, seed: 32);
        var expected = SHA256.HashData(data);
        await writerClient.CreateAsync(name, stripeWidth: 3);

        var clock = System.Diagnostics.Stopwatch.StartNew();
        await using (var writer = await writerClient.OpenAsync(name, PfsOpenMode.Write))
        {
            await writer.WriteAsync(data, 0);
        }

        var writeTime = clock.Elapsed;
        clock.Restart();
        var back = new byte[size];
        await using (var reader = await readerClient.OpenAsync(name, PfsOpenMode.Read))
        {
            Assert.Equal(size, await reader.ReadAsync(back, 0));
        }

        var readTime = clock.Elapsed;
        Assert.Equal(expected, SHA256.HashData(back));
        Assert.Equal(size, (await readerClient.StatAsync(name)).Size);
        output.WriteLine($"32 MiB over 3 servers: write+close {writeTime.TotalMilliseconds:0} ms ({size / 1e6 / writeTime.TotalSeconds:0} MB/s), " +
                         $"read {readTime.TotalMilliseconds:0} ms ({size / 1e6 / readTime.TotalSeconds:0} MB/s)");
        // Every block but the 128 still cached went back on eviction; those 128 at close.
        var stats = writerClient.Stats;
        Assert.Equal(size / 512, stats.Writebacks + stats.CloseWritebacks);
        Assert.Equal(128, stats.CloseWritebacks);
    }

    [Fact]
    public async Task StripeObjectsHoldEveryWidththBlockBackToBack()
    {
        await using var client = await fixture.Cluster.ConnectAsync();
        var name = fixture.UniqueName("layout");
        await client.CreateAsync(name, stripeWidth: 3);
        var data = new byte[9 * 512];
        for (var block = 0; block < 9; block++)
        {
            data.AsSpan(block * 512, 512).Fill((byte)(block + 1));
        }

        await using (var writer = await client.OpenAsync(name, PfsOpenMode.Write))
        {
            await writer.WriteAsync(data, 0);
        }

        // Server k holds blocks k, k+3, k+6, in that order, and nothing else.
        var fileId = await StripeObjectFiles.FileIdAsync(fixture.Cluster, name);
        for (var server = 0; server < 3; server++)
        {
            var stripe = await File.ReadAllBytesAsync(StripeObjectFiles.PathOf(fixture.Cluster, server, fileId));
            Assert.Equal(3 * 512, stripe.Length);
            for (var row = 0; row < 3; row++)
            {
                Assert.All(stripe.AsSpan(row * 512, 512).ToArray(), b => Assert.Equal((byte)(server + (row * 3) + 1), b));
            }
        }
    }

    [Fact]
    public async Task ReadStopsAtEndOfFileAndReturnsZeroPastIt()
    {
        await using var client = await fixture.Cluster.ConnectAsync();
        var name = fixture.UniqueName("eof");
        await client.CreateAsync(name, stripeWidth: 2);
        await using var file = await client.OpenAsync(name, PfsOpenMode.Write);
        await file.WriteAsync(TestData.Bytes(1000, seed: 2), 0);

        var buffer = new byte[600];
        Assert.Equal(400, await file.ReadAsync(buffer, 600));
        Assert.Equal(0, await file.ReadAsync(buffer, 1000));
        Assert.Equal(0, await file.ReadAsync(buffer, 5000));
        Assert.Equal(0, await file.ReadAsync(Memory<byte>.Empty, 0));
    }

    [Fact]
    public async Task HolesReadAsZerosUpToTheSize()
    {
        await using var client = await fixture.Cluster.ConnectAsync();
        var name = fixture.UniqueName("holes");
        await client.CreateAsync(name, stripeWidth: 3);
        await using (var writer = await client.OpenAsync(name, PfsOpenMode.Write))
        {
            await writer.WriteAsync(new byte[] { 9 }, 0);
            await writer.WriteAsync(new byte[] { 8 }, 100_000);
        }

        await using var other = await fixture.Cluster.ConnectAsync();
        await using var reader = await other.OpenAsync(name, PfsOpenMode.Read);
        var all = await TestData.ReadAllAsync(reader, 100_001);
        Assert.Equal(9, all[0]);
        Assert.Equal(8, all[100_000]);
        Assert.Equal(2, all.Count(b => b != 0));
    }

    [Fact]
    public async Task UnalignedOverwritesKeepTheBytesAroundThem()
    {
        await using var client = await fixture.Cluster.ConnectAsync(cacheBlocks: 2);
        var name = fixture.UniqueName("unaligned");
        await client.CreateAsync(name, stripeWidth: 3);
        var expected = TestData.Bytes(10_000, seed: 3);
        await using (var writer = await client.OpenAsync(name, PfsOpenMode.Write))
        {
            await writer.WriteAsync(expected, 0);
        }

        // A fresh client (nothing cached), so partial blocks must be merged with server bytes.
        await using var second = await fixture.Cluster.ConnectAsync(cacheBlocks: 2);
        await using (var writer = await second.OpenAsync(name, PfsOpenMode.Write))
        {
            var random = new Random(4);
            for (var i = 0; i < 50; i++)
            {
                var offset = random.Next(0, 11_000);
                var patch = TestData.Bytes(random.Next(1, 1500), seed: 100 + i);
                await writer.WriteAsync(patch, offset);
                if (offset + patch.Length > expected.Length)
                {
                    Array.Resize(ref expected, offset + patch.Length);
                }

                patch.CopyTo(expected, offset);
            }
        }

        await using var third = await fixture.Cluster.ConnectAsync();
        await using var reader = await third.OpenAsync(name, PfsOpenMode.Read);
        Assert.Equal(expected, await TestData.ReadAllAsync(reader, expected.Length));
    }

    [Fact]
    public async Task SizeIsHighestOffsetWrittenPlusOneAndModifiedMovesAtWriterClose()
    {
        await using var client = await fixture.Cluster.ConnectAsync();
        var name = fixture.UniqueName("stat");
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);
        await client.CreateAsync(name, stripeWidth: 1);
        var created = await client.StatAsync(name);
        Assert.Equal(0, created.Size);
        Assert.Equal(1, created.StripeWidth);
        Assert.Equal(512, created.BlockSize);
        Assert.InRange(created.Created, before, DateTimeOffset.UtcNow.AddSeconds(1));
        Assert.Equal(TimeSpan.Zero, created.Created.Offset);
        Assert.Equal(0, created.Created.Ticks % TimeSpan.TicksPerMillisecond);

        await using (var writer = await client.OpenAsync(name, PfsOpenMode.Write))
        {
            await writer.WriteAsync(new byte[10], 90);
            await writer.WriteAsync(new byte[10], 5);
            Assert.Equal(100, (await writer.StatAsync()).Size);
            Assert.Equal(0, (await client.StatAsync(name)).Size);
        }

        var written = await client.StatAsync(name);
        Assert.Equal(100, written.Size);
        Assert.Equal(created.Created, written.Created);
        Assert.True(written.Modified >= created.Modified);

        await using (var reader = await client.OpenAsync(name, PfsOpenMode.Read))
        {
        }

        Assert.Equal(written.Modified, (await client.StatAsync(name)).Modified);
    }

    [Fact]
    public async Task LargeBlocksRoundTrip()
    {
        await using var client = await fixture.Cluster.ConnectAsync();
        var name = fixture.UniqueName("large-blocks");
        await client.CreateAsync(name, stripeWidth: 3, blockSize: 1 << 20);
        var data = TestData.Bytes((5 << 20) + 123, seed: 5);
        await using (var writer = await client.OpenAsync(name, PfsOpenMode.Write))
        {
            await writer.WriteAsync(data, 0);
        }

        await using var other = await fixture.Cluster.ConnectAsync();
        await using var reader = await other.OpenAsync(name, PfsOpenMode.Read);
        Assert.Equal(data, await TestData.ReadAllAsync(reader, data.Length));
        Assert.Equal(1 << 20, (await reader.StatAsync()).BlockSize);
    }
}
