using Pfs.Client;
using Pfs.Tests.Fixtures;
using Xunit.Abstractions;

namespace Pfs.Tests.Integration.Redundancy;

/// <summary>
/// A 4+2 file on six real file-server processes, two of which are SIGKILLed in the middle of a read
/// or a write: every call succeeds and every byte reads back right; servers that missed writes are
/// recorded as stale and never read for data, also once they are back.
/// </summary>
public sealed class DegradedOperationTests(ITestOutputHelper output) : ErasureProcessTestBase("pfs-degraded-")
{
    private const int Chunk = 256 * 1024;

    [Theory]
    [InlineData(0, 1)]
    [InlineData(2, 5)]
    public async Task KillingAnyMServersMidReadStillReadsEveryByte(int first, int second)
    {
        var name = $"read-{first}-{second}";
        var data = TestData.Bytes(8 * 1024 * 1024, seed: first + second);
        await WriteAsync(name, data);

        await using var client = await Cluster.ConnectAsync("reader");
        await using var file = await client.OpenAsync(name, PfsOpenMode.Read).WaitAsync(Timeout);
        var read = new byte[data.Length];
        for (var at = 0; at < data.Length; at += Chunk)
        {
            if (at == Chunk)
            {
                // Read-ahead has calls in flight to both now.
                await Cluster.KillFileServerAsync(first);
                await Cluster.KillFileServerAsync(second);
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
        await using (var client = await Cluster.ConnectAsync("writer"))
        {
            await client.CreateAsync(Name, Layout);
            await using var file = await client.OpenAsync(Name, PfsOpenMode.Write).WaitAsync(Timeout);
            for (var at = 0; at < data.Length; at += Chunk)
            {
                if (at == data.Length / 2)
                {
                    foreach (var position in killed)
                    {
                        await Cluster.KillFileServerAsync(position);
                    }
                }

                await file.WriteAsync(data.AsMemory(at, Chunk), at).AsTask().WaitAsync(Timeout);
            }

            await file.CloseAsync().AsTask().WaitAsync(Timeout);
        }

        await using (var client = await Cluster.ConnectAsync("checker"))
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
            await Cluster.StartFileServerAsync(position);
        }

        Assert.Equal(data, await ReadAllAsync(Name, "reader-back"));
    }

    [Fact]
    public async Task AReadWithADataServerDownFetchesEachStripesShardsOnce()
    {
        const string Name = "fetch-once";
        var data = TestData.Bytes(8 * 1024 * 1024, seed: 11);
        await WriteAsync(Name, data);
        await Cluster.KillFileServerAsync(0);
        // No read-ahead: a stripe at a time, so no call that started before the server was known to be
        // down (and so reads around it the old way) is still in flight when the counting starts.
        await using var client = await PfsClient.ConnectAsync(new PfsClientOptions
        {
            ClientId = "reader-once",
            MetaServer = Cluster.MetaAddress,
            // The contract's most: other test classes' clusters share these cores.
            OperationTimeout = TimeSpan.FromSeconds(30),
            ReadAheadBytes = 0,
            // Neither tried again during the read nor hedged: how often a 3 s retry comes round, and how many
            // shard reads a loaded machine makes slower than the 500 ms hedge, depend on the load.
            DownServerRetry = TimeSpan.FromMinutes(10),
            ReadHedgeDelay = TimeSpan.FromSeconds(25),
        });
        await using var file = await client.OpenAsync(Name, PfsOpenMode.Read).WaitAsync(Timeout);
        var read = new byte[data.Length];
        // The first stripe finds the server down (its blocks there are decoded after the failed call).
        Assert.Equal(Chunk, await file.ReadAsync(read.AsMemory(0, Chunk), 0).AsTask().WaitAsync(Timeout));
        using var fetched = new FetchedBytes(Cluster.FileServerPorts);

        for (var at = Chunk; at < data.Length; at += Chunk)
        {
            Assert.Equal(Chunk, await file.ReadAsync(read.AsMemory(at, Chunk), at).AsTask().WaitAsync(Timeout));
        }

        Assert.Equal(data, read);
        // K shards of each stripe: the file's bytes once. Before, a stripe that had lost a data shard had
        // its surviving data shards read twice (once for the decode): 1.5 times the file here.
        var ratio = fetched.Bytes / (double)(data.Length - Chunk);
        output.WriteLine($"fetched {fetched.Bytes} bytes for {data.Length - Chunk}: {ratio:0.000}x");
        Assert.InRange(ratio, 1.0, 1.15);
    }

    [Fact]
    public async Task AServerBackAfterAFailedWriteIsWrittenAgainWithoutWaitingOutItsSkip()
    {
        // A failed call has every file of the client skip the server for ten minutes here unless something
        // finds it back sooner: before the client probed a skipped server, every file written in that time
        // was degraded with all six servers up.
        await using var client = await PfsClient.ConnectAsync(new PfsClientOptions
        {
            ClientId = "writer-probe",
            MetaServer = Cluster.MetaAddress,
            OperationTimeout = TimeSpan.FromSeconds(30),
            DownServerRetry = TimeSpan.FromMinutes(10),
        });
        var data = TestData.Bytes(1024 * 1024, seed: 21);
        await Cluster.KillFileServerAsync(3);
        await WriteAsync(client, "while-down", data);
        Assert.True((await client.StatAsync("while-down")).IsDegraded);

        await Cluster.StartFileServerAsync(3);
        var written = 0;
        var name = "";
        await Wait.UntilAsync(
            async () =>
            {
                name = $"back-{written++}";
                await WriteAsync(client, name, data);
                return !(await client.StatAsync(name)).IsDegraded;
            },
            "a file written after the server is back has no stale position",
            Timeout);
        output.WriteLine($"files written degraded after the restart: {written - 1}");
        Assert.Equal(data, await ReadAllAsync(name, "reader-probe"));
    }

    private async Task WriteAsync(string name, byte[] data)
    {
        await using var client = await Cluster.ConnectAsync($"writer-{name}");
        await WriteAsync(client, name, data);
    }

    private static async Task WriteAsync(PfsClient client, string name, byte[] data)
    {
        await client.CreateAsync(name, Layout);
        await using var file = await client.OpenAsync(name, PfsOpenMode.Write).WaitAsync(Timeout);
        await file.WriteAsync(data, 0);
    }

    // Bytes the client read from this cluster's file servers (its own pfs.client.fileserver.bytes
    // counter, filtered by the servers' ports: other tests' clients share the process).
    private sealed class FetchedBytes : IDisposable
    {
        private readonly System.Diagnostics.Metrics.MeterListener _listener = new();
        private readonly HashSet<string> _addresses;
        private long _bytes;

        public FetchedBytes(IEnumerable<int> ports)
        {
            _addresses = [.. ports.Select(port => $"127.0.0.1:{port}")];
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == Pfs.Client.Diagnostics.PfsMetrics.MeterName && instrument.Name == "pfs.client.fileserver.bytes")
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
            {
                string? address = null, direction = null;
                foreach (var tag in tags)
                {
                    if (tag.Key == "pfs.server.address")
                    {
                        address = tag.Value?.ToString();
                    }
                    else if (tag.Key == "pfs.io.direction")
                    {
                        direction = tag.Value as string;
                    }
                }

                if (direction == "read" && address is not null && _addresses.Any(a => address.TrimEnd('/').EndsWith(a, StringComparison.Ordinal)))
                {
                    Interlocked.Add(ref _bytes, value);
                }
            });
            _listener.Start();
        }

        public long Bytes => Interlocked.Read(ref _bytes);

        public void Dispose() => _listener.Dispose();
    }
}
