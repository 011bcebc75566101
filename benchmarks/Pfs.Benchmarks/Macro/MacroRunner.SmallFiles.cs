using System.Diagnostics;
using System.Globalization;
using Pfs.Benchmarks.Cluster;
using Pfs.Benchmarks.Report;
using Pfs.Client;

namespace Pfs.Benchmarks.Macro;

// Where a small file's time goes: one client, one file at a time, each step of its life timed through the
// library (create, open for writing, an 8 KiB write into the cache, the close that makes it durable and
// commits it, a chmod, the delete) on a stripe of 4, with 1 MiB blocks (the tool's default: the file is one
// block on one server) and with 512-byte blocks (the library's default: the file spans all 4), in alternating
// rounds. What `pfs put -r -j 1` waits for per file, without the tool's own work.
internal sealed partial class MacroRunner
{
    private const int SmallFileBytes = 8 * 1024;
    private const int SmallFilesPerRound = 200;
    private static readonly string[] SmallFileSteps = ["create", "open", "write", "close", "chmod", "delete"];

    private async Task MeasureSmallFilesAsync(ProcessCluster cluster, CancellationToken cancellationToken)
    {
        await using var client = await cluster.ConnectAsync(cancellationToken: cancellationToken);
        await client.CreateDirectoryAsync("small", cancellationToken);
        var data = new byte[SmallFileBytes];
        Random.Shared.NextBytes(data);
        int[] blockSizes = [1024 * 1024, 512];
        var means = blockSizes.ToDictionary(blockSize => blockSize, _ => new List<double[]>());
        await SmallFileRoundAsync(client, data, "warm", 512, SmallFilesPerRound, cancellationToken);
        for (var round = 1; round <= settings.Repeats; round++)
        {
            foreach (var blockSize in round % 2 == 0 ? blockSizes.Reverse() : blockSizes)
            {
                var mean = await SmallFileRoundAsync(client, data, $"r{round}", blockSize, SmallFilesPerRound, cancellationToken);
                means[blockSize].Add(mean);
                Progress($"  round {round}, {BenchSettings.Describe(blockSize)} blocks: " + Describe(mean));
            }
        }

        foreach (var blockSize in blockSizes)
        {
            var medians = SmallFileSteps.Select((_, step) => Median(means[blockSize].Select(mean => mean[step]))).ToArray();
            _table.Add("small files", new Figure($"one 8 KiB file at a time, width 4, {BenchSettings.Describe(blockSize)} blocks, ms per step (medians of {settings.Repeats} rounds of {SmallFilesPerRound})",
                string.Create(CultureInfo.InvariantCulture, $"{medians.Sum():0.00} ms"), Describe(medians)));
        }

        static string Describe(double[] ms) =>
            string.Join(", ", SmallFileSteps.Select((step, k) => string.Create(CultureInfo.InvariantCulture, $"{step} {ms[k]:0.00}")));
    }

    private static async Task<double[]> SmallFileRoundAsync(PfsClient client, byte[] data, string tag, int blockSize, int files, CancellationToken cancellationToken)
    {
        var total = new double[SmallFileSteps.Length];
        var clock = new Stopwatch();
        for (var i = 0; i < files; i++)
        {
            var path = $"small/{tag}-b{blockSize}-{i}";
            clock.Restart();
            await client.CreateAsync(path, new PfsCreateOptions { StripeWidth = 4, BlockSize = blockSize }, cancellationToken);
            total[0] += Lap(clock);
            var file = await client.OpenAsync(path, PfsOpenMode.Write, cancellationToken);
            total[1] += Lap(clock);
            await file.WriteAsync(data, 0, cancellationToken);
            total[2] += Lap(clock);
            await file.CloseAsync();
            total[3] += Lap(clock);
            await client.SetAttributesAsync(path, new PfsAttributeChanges { Mode = 0b110_100_100 }, cancellationToken);
            total[4] += Lap(clock);
            await client.DeleteAsync(path, cancellationToken);
            total[5] += Lap(clock);
        }

        return [.. total.Select(ms => ms / files)];

        static double Lap(Stopwatch clock)
        {
            var ms = clock.Elapsed.TotalMilliseconds;
            clock.Restart();
            return ms;
        }
    }
}
