using System.Diagnostics;
using Pfs.Benchmarks.Cluster;
using Pfs.Client;

namespace Pfs.Benchmarks.Macro;

/// <summary>One random-I/O figure: operations per second, CPU per operation, and the reader's cache counters after it.</summary>
internal sealed record RandomResult(string What, double OpsPerSecond, CpuSnapshot Cpu, long Operations, PfsCacheStats Stats);

/// <summary>
/// Random 4 KiB reads and writes, aligned, on a file of 4 KiB blocks striped over 4 servers, far
/// larger than the client's 128-block cache: one reader thread, eight reader threads sharing one
/// open, and one writer (its close, which flushes and syncs, inside the timing). Each runs for a
/// fixed time with a fresh client.
/// </summary>
internal sealed class RandomIoBenchmark(ProcessCluster cluster, BenchSettings settings)
{
    private const int Io = 4096;

    public async Task<IReadOnlyList<RandomResult>> RunAsync(CancellationToken cancellationToken)
    {
        const string Name = "random-4k";
        var width = Math.Min(4, cluster.FileServers.Count);
        await using (var admin = await cluster.ConnectAsync(cancellationToken: cancellationToken))
        {
            await admin.CreateAsync(Name, width, Io, cancellationToken);
            await using var file = await admin.OpenAsync(Name, PfsOpenMode.Write, cancellationToken);
            var chunk = new byte[4 * 1024 * 1024];
            new Random(3).NextBytes(chunk);
            for (long offset = 0; offset < settings.RandomFileBytes; offset += chunk.Length)
            {
                await file.WriteAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, settings.RandomFileBytes - offset)), offset, cancellationToken);
            }
        }

        var results = new List<RandomResult>
        {
            await ReadAsync(Name, threads: 1, cancellationToken),
            await ReadAsync(Name, threads: 8, cancellationToken),
            await ReadAsync(Name, threads: 1, cancellationToken, readAhead: false),
            await ReadAsync(Name, threads: 8, cancellationToken, readAhead: false),
            await WriteAsync(Name, cancellationToken),
        };
        await using (var admin = await cluster.ConnectAsync(cancellationToken: cancellationToken))
        {
            await admin.DeleteAsync(Name, cancellationToken);
        }

        return results;
    }

    private async Task<RandomResult> ReadAsync(string name, int threads, CancellationToken cancellationToken, bool readAhead = true)
    {
        await using var client = await cluster.ConnectAsync(readAhead ? null : options => options with { ReadAheadBytes = 0 }, cancellationToken);
        await using var file = await client.OpenAsync(name, PfsOpenMode.Read, cancellationToken);
        var blocks = settings.RandomFileBytes / Io;
        long operations = 0;
        var cpu = CpuSnapshot.Take(cluster.ServerPids);
        var started = Stopwatch.GetTimestamp();
        await Task.WhenAll(Enumerable.Range(0, threads).Select(t => Task.Run(async () =>
        {
            var buffer = new byte[Io];
            var random = new Random(100 + t);
            while (Stopwatch.GetElapsedTime(started) < settings.RandomTime)
            {
                var read = await file.ReadAsync(buffer, random.NextInt64(blocks) * Io, cancellationToken);
                if (read != Io)
                {
                    throw new InvalidOperationException($"a random read returned {read} bytes");
                }

                Interlocked.Increment(ref operations);
            }
        }, cancellationToken)));
        var elapsed = Stopwatch.GetElapsedTime(started);
        var used = CpuSnapshot.Take(cluster.ServerPids) - cpu;
        return new RandomResult($"random 4 KiB reads, {threads} thread{(threads == 1 ? string.Empty : "s")}{(readAhead ? string.Empty : ", read-ahead off (before)")}",
            operations / elapsed.TotalSeconds, used,
            operations, client.Stats);
    }

    private async Task<RandomResult> WriteAsync(string name, CancellationToken cancellationToken)
    {
        await using var client = await cluster.ConnectAsync(cancellationToken: cancellationToken);
        var blocks = settings.RandomFileBytes / Io;
        var buffer = new byte[Io];
        var random = new Random(200);
        random.NextBytes(buffer);
        long operations = 0;
        var cpu = CpuSnapshot.Take(cluster.ServerPids);
        var started = Stopwatch.GetTimestamp();
        await using (var file = await client.OpenAsync(name, PfsOpenMode.Write, cancellationToken))
        {
            while (Stopwatch.GetElapsedTime(started) < settings.RandomTime)
            {
                await file.WriteAsync(buffer, random.NextInt64(blocks) * Io, cancellationToken);
                operations++;
            }
        }

        var elapsed = Stopwatch.GetElapsedTime(started);
        var used = CpuSnapshot.Take(cluster.ServerPids) - cpu;
        return new RandomResult("random 4 KiB writes, 1 thread (close included)", operations / elapsed.TotalSeconds, used, operations, client.Stats);
    }
}
