using System.Globalization;
using Pfs.Benchmarks.Cluster;

namespace Pfs.Benchmarks.Macro;

/// <summary>
/// <c>--security</c>: the cost of TLS and authentication, measured side by side in one run. Two
/// clusters of the same shape (4 file servers, metadata in memory or Redis as found), one plain and
/// one with TLS on every hop and authentication required; on each, a width-4 sequential write and
/// read and open+close pairs from one client. Prints each figure and secure/plain (target >= 85%).
/// </summary>
internal static class SecurityBenchmark
{
    public static async Task<int> RunAsync(BenchSettings settings, TextWriter output, CancellationToken cancellationToken)
    {
        var binaries = await ServerBinaries.LocateAsync(settings.Native, output, cancellationToken);
        var bytes = settings.FileBytes;
        const int BlockSize = 1024 * 1024;
        var rows = new List<(string Name, double Plain, double Secure)>();
        var figures = new Dictionary<bool, (double Write, double Read, double Pairs)>();
        foreach (var secure in new[] { false, true })
        {
            await using var cluster = await ProcessCluster.StartAsync(binaries, 4, 0, secure ? "secure" : "plain", output, cancellationToken,
                security: secure ? new ClusterSecurity() : null);
            var sequential = await new SequentialBenchmark(cluster, settings).RunAsync(4, BlockSize, bytes, cancellationToken);
            await using var openClose = new OpenCloseBenchmark(cluster, settings);
            var (pairs, _) = await openClose.PairsPerSecondAsync(1, cancellationToken);
            figures[secure] = (sequential.WriteMBps, sequential.ReadMBps, pairs);
        }

        rows.Add(($"sequential write, width 4, {BenchSettings.Describe(bytes)} (MB/s)", figures[false].Write, figures[true].Write));
        rows.Add(($"sequential read, width 4, {BenchSettings.Describe(bytes)} (MB/s)", figures[false].Read, figures[true].Read));
        rows.Add(("open+close pairs per second, 1 client", figures[false].Pairs, figures[true].Pairs));
        output.WriteLine($"Pfs security benchmark ({settings.Mode}; file server {ServerBinaries.Describe(binaries.FileServer)}): TLS + authentication vs plain, same run");
        output.WriteLine($"{"figure",-52} {"plain",10} {"secure",10} {"secure/plain",13}");
        foreach (var (name, plain, secure) in rows)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name,-52} {plain,10:0.0} {secure,10:0.0} {secure / plain,12:0%}"));
        }

        return 0;
    }
}
