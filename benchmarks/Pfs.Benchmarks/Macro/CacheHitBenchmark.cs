using System.Diagnostics;
using Pfs.Benchmarks.Cluster;
using Pfs.Client;

namespace Pfs.Benchmarks.Macro;

/// <summary>Reads the same cached 512 bytes over and over on one thread: the client's fixed cost per read.</summary>
internal static class CacheHitBenchmark
{
    /// <summary>Reads per wall-clock second, reads per CPU-second of this process (steadier on a busy machine), and the hits counted.</summary>
    public static async Task<(double OpsPerSecond, double OpsPerCpuSecond, long Hits)> RunAsync(ProcessCluster cluster, TimeSpan duration, CancellationToken cancellationToken)
    {
        const string name = "cache-hit";
        await using var client = await cluster.ConnectAsync(cancellationToken: cancellationToken);
        await client.CreateAsync(name, stripeWidth: 4, cancellationToken);
        await using (var writer = await client.OpenAsync(name, PfsOpenMode.Write, cancellationToken))
        {
            await writer.WriteAsync(new byte[4096], 0, cancellationToken);
        }

        var buffer = new byte[512];
        long ops = 0;
        var before = client.Stats.ReadHits;
        TimeSpan elapsed, cpu;
        await using (var file = await client.OpenAsync(name, PfsOpenMode.Read, cancellationToken))
        {
            await file.ReadAsync(buffer, 0, cancellationToken);
            var cpuBefore = CpuSnapshot.Take([]).Client;
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < duration)
            {
                for (var i = 0; i < 4096; i++)
                {
                    await file.ReadAsync(buffer, 512, cancellationToken);
                }

                ops += 4096;
            }

            elapsed = clock.Elapsed;
            cpu = CpuSnapshot.Take([]).Client - cpuBefore;
        }

        var hits = client.Stats.ReadHits - before;
        await client.DeleteAsync(name, cancellationToken);
        return (ops / elapsed.TotalSeconds, ops / cpu.TotalSeconds, hits);
    }
}
