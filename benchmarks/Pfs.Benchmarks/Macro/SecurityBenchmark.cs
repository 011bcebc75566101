using System.Globalization;
using Pfs.Benchmarks.Cluster;

namespace Pfs.Benchmarks.Macro;

/// <summary>
/// <c>--security</c>: the cost of TLS and authentication, measured side by side in one run. Two
/// clusters of the same shape (4 file servers, metadata in memory or Redis as found), one plain and
/// one with TLS on every hop and authentication required, both running; on each in turn, a width-4
/// sequential write and read and open+close pairs from one client, in rounds (at least 3, or --repeat).
/// Prints each round, the medians and secure/plain (target >= 85%).
/// </summary>
internal static class SecurityBenchmark
{
    private const int WarmUpRounds = 3;


    public static async Task<int> RunAsync(BenchSettings settings, TextWriter output, CancellationToken cancellationToken)
    {
        var binaries = await ServerBinaries.LocateAsync(settings.Native, output, cancellationToken);
        var bytes = settings.FileBytes;
        const int BlockSize = 1024 * 1024;
        // At least 3 rounds (--repeat N for more: the figures of single rounds here swing by 20-40%).
        var rounds = Math.Max(3, settings.Repeats);
        var rows = new List<(string Name, double Plain, double Secure)>();
        var figures = new Dictionary<bool, List<(double Write, double Read, double Pairs)>> { [false] = [], [true] = [] };
        var wire = new Dictionary<bool, List<(double Write, double Read)>> { [false] = [], [true] = [] };

        // Both clusters run at once and take turns, the order alternating from round to round, so a drift of
        // the machine's load (other programs share these 2 cores) hits both sides alike; medians are printed.
        await using var plainCluster = await ProcessCluster.StartAsync(binaries, 4, 0, "plain", output, cancellationToken);
        await using var secureCluster = await ProcessCluster.StartAsync(binaries, 4, 0, "secure", output, cancellationToken, security: new ClusterSecurity());
        await using var plainOpenClose = new OpenCloseBenchmark(plainCluster, settings);
        await using var secureOpenClose = new OpenCloseBenchmark(secureCluster, settings);

        // The bare gRPC client on the same file servers (1 MiB messages, 16 in flight, no Pfs client in
        // between): what TLS costs the transport itself, the bound for what it can cost Pfs.
        using var plainWire = new CeilingBenchmark(plainCluster.FileServers.Select(s => s.Address), BlockSize, 16);
        using var secureWire = new CeilingBenchmark(secureCluster.FileServers.Select(s => s.Address), BlockSize, 16,
            secureCluster.FileServers[0].TlsCaFile);
        // Rounds up to 0 warm both up, unmeasured: from cold servers (JIT) the figures climbed for four
        // rounds or so, open+close from 130 to 2,300 pairs a second.
        for (var round = 1 - WarmUpRounds; round <= rounds; round++)
        {
            foreach (var secure in (round & 1) == 1 ? new[] { false, true } : [true, false])
            {
                var cluster = secure ? secureCluster : plainCluster;
                var sequential = await new SequentialBenchmark(cluster, settings).RunAsync(4, BlockSize, bytes, cancellationToken);
                var (pairs, _) = await (secure ? secureOpenClose : plainOpenClose).PairsPerSecondAsync(1, cancellationToken);
                double wireWrite, wireRead;
                await using (var session = await (secure ? secureWire : plainWire).OpenAsync(cluster, $"wire-{round + WarmUpRounds}", cancellationToken))
                {
                    wireWrite = await session.WriteAsync(bytes, cancellationToken);
                    wireRead = await session.ReadAsync(bytes, cancellationToken);
                }

                if (round > 0)
                {
                    figures[secure].Add((sequential.WriteMBps, sequential.ReadMBps, pairs));
                    wire[secure].Add((wireWrite, wireRead));
                }

                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  {(round <= 0 ? "warm-up" : $"round {round}")}, {(secure ? "secure" : "plain")}: write {sequential.WriteMBps:0.0} MB/s, read {sequential.ReadMBps:0.0} MB/s, {pairs:0.0} open+close/s; wire write {wireWrite:0.0}, read {wireRead:0.0} MB/s"));
            }
        }

        double Median(IEnumerable<double> values) => values.Order().ElementAt(rounds / 2);
        rows.Add(($"sequential write, width 4, {BenchSettings.Describe(bytes)} (MB/s)", Median(figures[false].Select(f => f.Write)), Median(figures[true].Select(f => f.Write))));
        rows.Add(($"sequential read, width 4, {BenchSettings.Describe(bytes)} (MB/s)", Median(figures[false].Select(f => f.Read)), Median(figures[true].Select(f => f.Read))));
        rows.Add(("open+close pairs per second, 1 client", Median(figures[false].Select(f => f.Pairs)), Median(figures[true].Select(f => f.Pairs))));
        rows.Add(("wire: bare gRPC write to the 4 file servers (MB/s)", Median(wire[false].Select(f => f.Write)), Median(wire[true].Select(f => f.Write))));
        rows.Add(("wire: bare gRPC read from the 4 file servers (MB/s)", Median(wire[false].Select(f => f.Read)), Median(wire[true].Select(f => f.Read))));
        output.WriteLine($"Pfs security benchmark ({settings.Mode}; file server {ServerBinaries.Describe(binaries.FileServer)}): TLS + authentication vs plain, same run, medians of {rounds} alternating rounds");
        output.WriteLine($"{"figure",-52} {"plain",10} {"secure",10} {"secure/plain",13}");
        foreach (var (name, plain, secure) in rows)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-52} {plain,10:0.0} {secure,10:0.0} {secure / plain,12:0%}"));
        }

        return 0;
    }
}
