using System.Diagnostics;
using System.Globalization;
using Pfs.Benchmarks.Cluster;
using Pfs.Client;

namespace Pfs.Benchmarks.Macro;

/// <summary>The cache-hit run: its rates, and what proves its reads were whole 512-byte cache hits.</summary>
/// <param name="OpsPerSecond">Reads per wall-clock second.</param>
/// <param name="OpsPerCpuSecond">Reads per CPU-second of this process (steadier on a busy machine).</param>
/// <param name="Reads">Reads timed.</param>
/// <param name="BytesRead">The sum of the counts those reads returned (512 each when sound).</param>
/// <param name="Hits">Cache hits the client counted over those reads (one each when sound).</param>
/// <param name="BytesRight">Whether the last timed read delivered the bytes written.</param>
internal sealed record CacheHitResult(double OpsPerSecond, double OpsPerCpuSecond, long Reads, long BytesRead, long Hits, bool BytesRight)
{
    /// <summary>Why the reads were not all whole, correct cache hits; null if they were.</summary>
    public string? Fault =>
        BytesRead != Reads * CacheHitBenchmark.ReadBytes
            ? string.Create(CultureInfo.InvariantCulture, $"reads returned {BytesRead:N0} of {Reads * CacheHitBenchmark.ReadBytes:N0} bytes")
        : !BytesRight ? "the bytes read differ from those written"
        : Hits != Reads ? string.Create(CultureInfo.InvariantCulture, $"{Hits:N0} cache hits counted for {Reads:N0} reads")
        : null;
}

/// <summary>Reads the same cached 512 bytes over and over on one thread: the client's fixed cost per read.</summary>
internal static class CacheHitBenchmark
{
    public const int ReadBytes = 512;

    private const int Offset = 512;

    public static async Task<CacheHitResult> RunAsync(ProcessCluster cluster, TimeSpan duration, CancellationToken cancellationToken,
                                                      Func<PfsClientOptions, PfsClientOptions>? configure = null)
    {
        var name = $"cache-hit-{Guid.NewGuid():N}";
        await using var client = await cluster.ConnectAsync(configure, cancellationToken);
        await client.CreateAsync(name, stripeWidth: 4, cancellationToken);
        var content = new byte[4096];
        new Random(7).NextBytes(content);
        await using (var writer = await client.OpenAsync(name, PfsOpenMode.Write, cancellationToken))
        {
            await writer.WriteAsync(content, 0, cancellationToken);
        }

        var buffer = new byte[ReadBytes];
        long ops = 0;
        long bytesRead = 0;
        long hits;
        TimeSpan elapsed, cpu;
        await using (var file = await client.OpenAsync(name, PfsOpenMode.Read, cancellationToken))
        {
            // Brings the block into the cache, if the write did not leave it there.
            await file.ReadAsync(buffer, Offset, cancellationToken);
            Array.Clear(buffer);
            var before = client.Stats.ReadHits;
            var cpuBefore = CpuSnapshot.Take([]).Client;
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < duration)
            {
                for (var i = 0; i < 4096; i++)
                {
                    bytesRead += await file.ReadAsync(buffer, Offset, cancellationToken);
                }

                ops += 4096;
            }

            elapsed = clock.Elapsed;
            cpu = CpuSnapshot.Take([]).Client - cpuBefore;
            hits = client.Stats.ReadHits - before;
        }

        await client.DeleteAsync(name, cancellationToken);
        var right = buffer.AsSpan().SequenceEqual(content.AsSpan(Offset, ReadBytes));
        return new CacheHitResult(ops / elapsed.TotalSeconds, ops / cpu.TotalSeconds, ops, bytesRead, hits, right);
    }
}
