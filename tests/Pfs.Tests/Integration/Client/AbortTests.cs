using Pfs.Client;
using Pfs.Tests.Fixtures;

namespace Pfs.Tests.Integration.Client;

/// <summary><see cref="PfsFile.AbortAsync"/>: a writer gives up; the file stays as it was and the lock goes.</summary>
[Collection(ClusterCollection.Name)]
public sealed class AbortTests(ClusterFixture fixture)
{
    [Fact]
    public async Task AnAbortedWriterLeavesTheFileAsItWasAndFreesTheLock()
    {
        await using var client = await fixture.Cluster.ConnectAsync();
        await using var other = await fixture.Cluster.ConnectAsync();
        var name = fixture.UniqueName("abort");
        var before = TestData.Bytes(300_000, seed: 1);
        await client.CreateAsync(name, stripeWidth: 2, blockSize: 64 * 1024);
        await using (var first = await client.OpenAsync(name, PfsOpenMode.Write))
        {
            await first.WriteAsync(before, 0);
        }

        var writer = await client.OpenAsync(name, PfsOpenMode.Write);
        await writer.WriteAsync(TestData.Bytes(1_000_000, seed: 2), 100_000);
        await writer.AbortAsync();
        await writer.AbortAsync();
        await writer.CloseAsync();

        // The lock is free at once for another client (no lease had to run out), and neither client sees the
        // aborted bytes: not the other one through the servers, not this one through its cache.
        await using (var next = await other.OpenAsync(name, PfsOpenMode.Write).WaitAsync(TimeSpan.FromSeconds(10)))
        {
            Assert.Equal(before.Length, (await next.StatAsync()).Size);
        }

        Assert.Equal(before, await ReadAllAsync(other, name));
        Assert.Equal(before, await ReadAllAsync(client, name));
        Assert.Equal(before.Length, (await client.StatAsync(name)).Size);
    }

    private static async Task<byte[]> ReadAllAsync(PfsClient client, string name)
    {
        await using var file = await client.OpenAsync(name, PfsOpenMode.Read);
        var buffer = new byte[(await file.StatAsync()).Size];
        Assert.Equal(buffer.Length, await file.ReadAsync(buffer, 0));
        return buffer;
    }
}
