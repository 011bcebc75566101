using System.Globalization;
using Pfs.Benchmarks.Cluster;
using Pfs.Benchmarks.Report;
using Pfs.Client.Transport;

namespace Pfs.Benchmarks.Macro;

// What end-to-end checksums cost on the sequential path: the same runs (width 4, 1 MiB blocks) with
// them on and off (the client's internal switch: off, it sends no sums and asks for none, so the
// servers check nothing either), alternated so that load from elsewhere hits both alike.
internal sealed partial class MacroRunner
{
    private async Task MeasureChecksumsAsync(ProcessCluster cluster, CancellationToken cancellationToken)
    {
        var sequential = new SequentialBenchmark(cluster, settings);
        var warmBytes = Math.Min(settings.FileBytes, 16L * MiB);
        await sequential.RunAsync(4, MiB, warmBytes, cancellationToken);
        var results = new Dictionary<bool, List<SequentialResult>> { [true] = [], [false] = [] };
        try
        {
            for (var repeat = 0; repeat < settings.Repeats; repeat++)
            {
                foreach (var on in new[] { true, false })
                {
                    BlockTransport.Checksums = on;
                    var result = await sequential.RunAsync(4, MiB, settings.FileBytes, cancellationToken);
                    results[on].Add(result);
                    Progress($"#{repeat + 1} checksums {(on ? "on" : "off")}: write {MBps(result.WriteMBps)}, read {MBps(result.ReadMBps)}");
                }
            }
        }
        finally
        {
            BlockTransport.Checksums = true;
        }

        var mib = settings.FileBytes / (double)MiB;
        foreach (var (kind, rate, cpu) in new (string, Func<SequentialResult, double>, Func<SequentialResult, CpuSnapshot>)[]
                 {
                     ("write", r => r.WriteMBps, r => r.WriteCpu),
                     ("read", r => r.ReadMBps, r => r.ReadCpu),
                 })
        {
            var on = Median(results[true].Select(rate));
            var off = Median(results[false].Select(rate));
            var cpuOn = Median(results[true].Select(r => (cpu(r).Client + cpu(r).Servers).TotalMilliseconds / mib));
            var cpuOff = Median(results[false].Select(r => (cpu(r).Client + cpu(r).Servers).TotalMilliseconds / mib));
            _table.Add("checksums", new Figure($"sequential {kind} w=4, 1 MiB blocks, checksums on / off", $"{MBps(on)} / {MBps(off)}",
                string.Create(CultureInfo.InvariantCulture, $"{on / off:0.00}x; CPU {cpuOn:0.00} / {cpuOff:0.00} ms per MiB (client + servers), {cpuOn - cpuOff:+0.00;-0.00} ms")));
        }
    }
}
