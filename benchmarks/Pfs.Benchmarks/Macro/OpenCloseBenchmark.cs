using System.Diagnostics;
using Pfs.Benchmarks.Cluster;
using Pfs.Client;

namespace Pfs.Benchmarks.Macro;

/// <summary>
/// Metadata round trips: open(Read)+close pairs per second from 1 and from 16 clients (each its own
/// PfsClient, with its own Subscribe stream, on its own file), and the latency of a writer's close
/// (one 512-byte write, so the close flushes, syncs and publishes an invalidation) while 16 other
/// clients are subscribed.
/// </summary>
internal sealed class OpenCloseBenchmark(ProcessCluster cluster, BenchSettings settings) : IAsyncDisposable
{
    private readonly List<PfsClient> _clients = [];

    public async Task ConnectAsync(int clients, CancellationToken cancellationToken)
    {
        for (var i = _clients.Count; i < clients; i++)
        {
            var client = await cluster.ConnectAsync(cancellationToken: cancellationToken);
            _clients.Add(client);
            await client.CreateAsync($"oc-{i}", stripeWidth: 1, cancellationToken);
        }
    }

    /// <summary>Pairs per second with the first <paramref name="clients"/> clients running at once, and the CPU they took per pair.</summary>
    public async Task<(double PerSecond, CpuSnapshot CpuPerPair)> PairsPerSecondAsync(int clients, CancellationToken cancellationToken)
    {
        await ConnectAsync(clients, cancellationToken);
        await RunPairsAsync(clients, TimeSpan.FromMilliseconds(200), cancellationToken);
        var cpu = CpuSnapshot.Take(cluster.ServerPids);
        var clock = Stopwatch.StartNew();
        var pairs = await RunPairsAsync(clients, settings.OpenCloseTime, cancellationToken);
        var elapsed = clock.Elapsed;
        var used = CpuSnapshot.Take(cluster.ServerPids) - cpu;
        return (pairs / elapsed.TotalSeconds, new CpuSnapshot(used.Client / Math.Max(1, pairs), used.Servers / Math.Max(1, pairs)));
    }

    /// <summary>p50 and p99 of a writer's close, in milliseconds, with 16 other clients subscribed.</summary>
    public async Task<(double P50, double P99)> WriterCloseAsync(int others, CancellationToken cancellationToken)
    {
        await ConnectAsync(others, cancellationToken);
        const string name = "oc-writer";
        await using var writer = await cluster.ConnectAsync(cancellationToken: cancellationToken);
        await writer.CreateAsync(name, stripeWidth: 1, cancellationToken);
        var payload = new byte[512];
        var samples = new List<double>(settings.CloseSamples);
        for (var i = -10; i < settings.CloseSamples; i++)
        {
            var file = await writer.OpenAsync(name, PfsOpenMode.Write, cancellationToken);
            payload[0] = (byte)i;
            await file.WriteAsync(payload, 0, cancellationToken);
            var started = Stopwatch.GetTimestamp();
            await file.CloseAsync();
            if (i >= 0)
            {
                samples.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            }
        }

        samples.Sort();
        return (Percentile(samples, 0.50), Percentile(samples, 0.99));
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
        {
            await client.DisposeAsync();
        }
    }

    private async Task<long> RunPairsAsync(int clients, TimeSpan duration, CancellationToken cancellationToken)
    {
        long pairs = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(_clients.Take(clients).Select(async (client, i) =>
        {
            var name = $"oc-{i}";
            while (clock.Elapsed < duration)
            {
                var file = await client.OpenAsync(name, PfsOpenMode.Read, cancellationToken);
                await file.CloseAsync();
                Interlocked.Increment(ref pairs);
            }
        }));
        return pairs;
    }

    private static double Percentile(List<double> sorted, double p) =>
        sorted.Count == 0 ? 0 : sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p * sorted.Count) - 1)];
}
