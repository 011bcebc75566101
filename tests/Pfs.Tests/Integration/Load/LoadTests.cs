using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using Pfs.Client;
using Pfs.LocalCluster;
using Xunit.Abstractions;

namespace Pfs.Tests.Integration.Load;

/// <summary>
/// 32 clients with a mixed workload for a bounded time: private files read and written, and one
/// shared counter that every client increments under the write lock. No operation may hang, no
/// increment may be lost, and the heap must not grow with the number of operations.
/// </summary>
[Collection(LoadCollection.Name)]
public sealed class LoadTests(ITestOutputHelper output)
{
    private const int Clients = 32;
    private static readonly TimeSpan Duration = TimeSpan.FromSeconds(6);
    private static readonly TimeSpan OperationLimit = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task ThirtyTwoClientsLoseNoUpdateAndNeverHang()
    {
        await using var cluster = await PfsCluster.StartAsync(fileServers: 3);
        var clients = new PfsClient[Clients];
        for (var i = 0; i < Clients; i++)
        {
            clients[i] = await cluster.ConnectAsync(cacheBlocks: 32);
        }

        try
        {
            await clients[0].CreateAsync("counter", stripeWidth: 1);
            for (var i = 0; i < Clients; i++)
            {
                await clients[i].CreateAsync($"private-{i}", stripeWidth: (i % 3) + 1);
            }

            // One short round first, so the heap is measured warm.
            await RunAsync(clients, TimeSpan.FromSeconds(1), new Latencies());
            var heapBefore = SettledHeap();
            var latencies = new Latencies();
            var increments = await RunAsync(clients, Duration, latencies);
            var heapAfter = SettledHeap();

            await using var reader = await clients[0].OpenAsync("counter", PfsOpenMode.Read);
            var counter = new byte[8];
            await reader.ReadAsync(counter, 0);
            var total = BinaryPrimitives.ReadInt64LittleEndian(counter);

            output.WriteLine(latencies.Report(Duration));
            output.WriteLine($"heap before {heapBefore / 1e6:0.0} MB, after {heapAfter / 1e6:0.0} MB");
            Assert.True(increments.Warmup + increments.Measured == total,
                $"the counter says {total}, but {increments.Warmup + increments.Measured} increments were acknowledged");
            Assert.True(latencies.Count("close") > Clients, "the load did too little to mean anything");
            Assert.True(heapAfter - heapBefore < 64L * 1024 * 1024, $"the heap grew by {(heapAfter - heapBefore) / 1e6:0.0} MB under load");
        }
        finally
        {
            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }
        }
    }

    private long _acknowledged;

    private async Task<(long Warmup, long Measured)> RunAsync(PfsClient[] clients, TimeSpan duration, Latencies latencies)
    {
        var before = Interlocked.Read(ref _acknowledged);
        using var stop = new CancellationTokenSource(duration);
        await Task.WhenAll(clients.Select((client, i) => Task.Run(() => ClientLoopAsync(client, i, latencies, stop.Token))));
        return (before, Interlocked.Read(ref _acknowledged) - before);
    }

    private async Task ClientLoopAsync(PfsClient client, int index, Latencies latencies, CancellationToken stop)
    {
        var random = new Random(index);
        var buffer = new byte[16 * 1024];
        while (!stop.IsCancellationRequested)
        {
            if (random.Next(4) == 0)
            {
                // Read-modify-write of the shared counter: a lost update would show in the total.
                var file = await Timed(latencies, "open", () => client.OpenAsync("counter", PfsOpenMode.Write));
                var value = new byte[8];
                await Timed(latencies, "read", () => file.ReadAsync(value, 0).AsTask());
                BinaryPrimitives.WriteInt64LittleEndian(value, BinaryPrimitives.ReadInt64LittleEndian(value) + 1);
                await Timed(latencies, "write", () => file.WriteAsync(value, 0).AsTask());
                await Timed(latencies, "close", () => file.CloseAsync().AsTask());
                Interlocked.Increment(ref _acknowledged);
            }
            else
            {
                var write = random.Next(2) == 0;
                var file = await Timed(latencies, "open", () => client.OpenAsync($"private-{index}", write ? PfsOpenMode.Write : PfsOpenMode.Read));
                var offset = random.Next(256 * 1024);
                var length = random.Next(1, buffer.Length);
                if (write)
                {
                    random.NextBytes(buffer.AsSpan(0, length));
                    await Timed(latencies, "write", () => file.WriteAsync(buffer.AsMemory(0, length), offset).AsTask());
                }
                else
                {
                    await Timed(latencies, "read", () => file.ReadAsync(buffer.AsMemory(0, length), offset).AsTask());
                }

                await Timed(latencies, "close", () => file.CloseAsync().AsTask());
            }
        }
    }

    private static async Task<T> Timed<T>(Latencies latencies, string operation, Func<Task<T>> action)
    {
        var started = Stopwatch.GetTimestamp();
        var result = await action().WaitAsync(OperationLimit);
        latencies.Add(operation, Stopwatch.GetElapsedTime(started));
        return result;
    }

    private static async Task Timed(Latencies latencies, string operation, Func<Task> action) =>
        await Timed(latencies, operation, async () =>
        {
            await action();
            return 0;
        });

    private static long SettledHeap()
    {
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(2, GCCollectionMode.Forced, blocking: true, compacting: true);
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    private sealed class Latencies
    {
        private readonly ConcurrentDictionary<string, ConcurrentBag<double>> _samples = new();

        public void Add(string operation, TimeSpan elapsed) =>
            _samples.GetOrAdd(operation, _ => []).Add(elapsed.TotalMilliseconds);

        public int Count(string operation) => _samples.TryGetValue(operation, out var bag) ? bag.Count : 0;

        public string Report(TimeSpan duration) => string.Join(Environment.NewLine, _samples.OrderBy(p => p.Key).Select(pair =>
        {
            var sorted = pair.Value.Order().ToArray();
            return $"{pair.Key,-6} {sorted.Length / duration.TotalSeconds,8:0} /s   p50 {sorted[sorted.Length / 2],7:0.00} ms   p99 {sorted[(int)(sorted.Length * 0.99)],7:0.00} ms";
        }));
    }
}

/// <summary>The heap check measures the whole test process, so the load test runs alone, after the parallel ones.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LoadCollection
{
    public const string Name = "load, alone";
}
