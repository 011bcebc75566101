using Pfs.Client;
using Pfs.Tests.Fixtures;
using Xunit.Abstractions;

namespace Pfs.Tests.Integration.Redundancy;

/// <summary>
/// A 4+2 file on six real file-server processes, two of which are SIGKILLed in the middle of a read
/// or a write: every call succeeds and every byte reads back right; servers that missed writes are
/// recorded as stale and never read for data, also once they are back.
/// </summary>
public sealed class DegradedOperationTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int K = 4;
    private const int M = 2;
    private const int Block = 64 * 1024;
    private const int Chunk = 256 * 1024;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private readonly string _root = Directory.CreateTempSubdirectory("pfs-degraded-").FullName;
    private ProcessCluster _cluster = null!;

    public async Task InitializeAsync()
    {
        _cluster = await ProcessCluster.StartAsync(_root, [.. Enumerable.Range(0, K + M).Select(i => Path.Combine(_root, $"fs{i}"))]);
        await _cluster.StartMetaAsync();
    }

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    [Theory]
    [InlineData(0, 1)]
    [InlineData(2, 5)]
    public async Task KillingAnyMServersMidReadStillReadsEveryByte(int first, int second)
    {
        var name = $"read-{first}-{second}";
        var data = TestData.Bytes(8 * 1024 * 1024, seed: first + second);
        await WriteAsync(name, data);

        await using var client = await _cluster.ConnectAsync("reader");
        await using var file = await client.OpenAsync(name, PfsOpenMode.Read).WaitAsync(Timeout);
        var read = new byte[data.Length];
        for (var at = 0; at < data.Length; at += Chunk)
        {
            if (at == Chunk)
            {
                // Read-ahead has calls in flight to both now.
                await _cluster.KillFileServerAsync(first);
                await _cluster.KillFileServerAsync(second);
            }

            Assert.Equal(Chunk, await file.ReadAsync(read.AsMemory(at, Chunk), at).AsTask().WaitAsync(Timeout));
        }

        Assert.Equal(data, read);
    }

    [Fact]
    public async Task KillingMServersMidWriteStillClosesAndTheFileReadsBackDegraded()
    {
        const string Name = "write";
        var data = TestData.Bytes(8 * 1024 * 1024, seed: 3);
        int[] killed = [1, 4];
        await using (var client = await _cluster.ConnectAsync("writer"))
        {
            await client.CreateAsync(Name, new PfsCreateOptions { StripeWidth = K, ParityBlocks = M, BlockSize = Block });
            await using var file = await client.OpenAsync(Name, PfsOpenMode.Write).WaitAsync(Timeout);
            for (var at = 0; at < data.Length; at += Chunk)
            {
                if (at == data.Length / 2)
                {
                    foreach (var position in killed)
                    {
                        await _cluster.KillFileServerAsync(position);
                    }
                }

                await file.WriteAsync(data.AsMemory(at, Chunk), at).AsTask().WaitAsync(Timeout);
            }

            await file.CloseAsync().AsTask().WaitAsync(Timeout);
        }

        await using (var client = await _cluster.ConnectAsync("checker"))
        {
            var info = await client.StatAsync(Name);
            output.WriteLine($"stale positions: {string.Join(' ', info.StalePositions)}");
            Assert.True(info.IsDegraded);
            Assert.Equal(killed, info.StalePositions);
        }

        Assert.Equal(data, await ReadAllAsync(Name, "reader-down"));

        // Back, with the first half of the file and nothing of the second: never read for data.
        foreach (var position in killed)
        {
            await _cluster.StartFileServerAsync(position);
        }

        Assert.Equal(data, await ReadAllAsync(Name, "reader-back"));
    }

    private async Task WriteAsync(string name, byte[] data)
    {
        await using var client = await _cluster.ConnectAsync($"writer-{name}");
        await client.CreateAsync(name, new PfsCreateOptions { StripeWidth = K, ParityBlocks = M, BlockSize = Block });
        await using var file = await client.OpenAsync(name, PfsOpenMode.Write).WaitAsync(Timeout);
        await file.WriteAsync(data, 0);
    }

    private async Task<byte[]> ReadAllAsync(string name, string clientId)
    {
        await using var client = await _cluster.ConnectAsync(clientId);
        await using var file = await client.OpenAsync(name, PfsOpenMode.Read).WaitAsync(Timeout);
        var size = (await file.StatAsync()).Size;
        return await TestData.ReadAllAsync(file, size).WaitAsync(Timeout);
    }
}
