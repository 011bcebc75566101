using System.Diagnostics;
using Pfs.Benchmarks.Cluster;
using Pfs.Client;

namespace Pfs.Benchmarks.Macro;

/// <summary>
/// What striping hides: file servers that add a fixed delay to every call, and a fresh client
/// reading N uncached 512-byte blocks in one ReadAsync at width 1 and at width 4. The client
/// batches blocks that are back to back on a server into one call, so by default the whole read
/// is one call per server and the delay counts once either way; with MaxCallBytes = one block every
/// block is its own call and the read is bounded by the delay times the rounds of calls in flight.
/// </summary>
internal sealed class FanOutBenchmark(ProcessCluster cluster, BenchSettings settings)
{
    private const int BlockSize = 512;

    private readonly HashSet<string> _created = [];

    /// <summary>Median time in ms of the read at the given width, with MaxCallBytes of <paramref name="maxCallBytes"/>.</summary>
    public async Task<double> ReadMillisecondsAsync(int width, int maxCallBytes, CancellationToken cancellationToken)
    {
        var name = $"fan-w{width}";
        var bytes = settings.FanOutBlocks * BlockSize;
        await EnsureFileAsync(name, width, bytes, cancellationToken);

        var buffer = new byte[bytes];
        var times = new List<double>();
        for (var i = 0; i < settings.FanOutRepeats; i++)
        {
            await using var client = await cluster.ConnectAsync(o => o with { MaxCallBytes = maxCallBytes }, cancellationToken);
            await using var file = await client.OpenAsync(name, PfsOpenMode.Read, cancellationToken);
            var started = Stopwatch.GetTimestamp();
            var got = await file.ReadAsync(buffer, 0, cancellationToken);
            times.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
            if (got != bytes || buffer[^1] != (byte)(settings.FanOutBlocks - 1))
            {
                throw new InvalidOperationException($"fan-out read of {name} came back wrong");
            }
        }

        times.Sort();
        return times[times.Count / 2];
    }

    private async Task EnsureFileAsync(string name, int width, int bytes, CancellationToken cancellationToken)
    {
        if (!_created.Add(name))
        {
            return;
        }

        var data = new byte[bytes];
        for (var block = 0; block < settings.FanOutBlocks; block++)
        {
            data.AsSpan(block * BlockSize, BlockSize).Fill((byte)block);
        }

        await using var client = await cluster.ConnectAsync(cancellationToken: cancellationToken);
        await client.CreateAsync(name, width, BlockSize, cancellationToken);
        await using var file = await client.OpenAsync(name, PfsOpenMode.Write, cancellationToken);
        await file.WriteAsync(data, 0, cancellationToken);
    }
}
