using System.Globalization;
using Pfs.Benchmarks.Cluster;
using Pfs.Benchmarks.Report;

namespace Pfs.Benchmarks.Macro;

// A source tree through the tool: `pfs put -r`, `pfs get -r` and `pfs rm -r` of many small files, one at a
// time (-j 1) and several at once (8, the default of put and get; 16; 32, the default of rm), alternated within each round so that load from
// elsewhere hits every setting alike. Each command is a process of its own, as a user runs it; its wall time
// includes the tool's start (measured alone by the scaling phase's pfs stat).
internal sealed partial class MacroRunner
{
    private const int TreeDirectories = 40;
    private const int TreeFilesPerDirectory = 50;
    private const int TreeFileBytes = 8 * 1024;
    private static readonly int[] TreeJobs = [1, 8, 16, 32];

    private async Task MeasureTreeAsync(ProcessCluster cluster, ServerBinaries binaries, CancellationToken cancellationToken)
    {
        var scratch = Path.Combine(Path.GetTempPath(), $"pfs-bench-tree-{Environment.ProcessId}");
        var source = Path.Combine(scratch, "src");
        try
        {
            var files = MakeSourceTree(source);
            var tool = new ToolRunner(binaries.Cli, cluster.MetaServer.Address);
            // Warm-up: the servers' JIT and the store's first keys.
            await RunTreeRoundAsync(tool, source, scratch, "warm", jobs: 8, cancellationToken);
            var times = TreeJobs.ToDictionary(jobs => jobs, _ => new List<(double Put, double Get, double Rm)>());
            for (var round = 1; round <= settings.Repeats; round++)
            {
                foreach (var jobs in round % 2 == 0 ? TreeJobs.Reverse() : TreeJobs)
                {
                    var t = await RunTreeRoundAsync(tool, source, scratch, $"r{round}j{jobs}", jobs, cancellationToken);
                    times[jobs].Add(t);
                    Progress(string.Create(CultureInfo.InvariantCulture,
                        $"  round {round}, -j {jobs}: put -r {t.Put:0.00} s, get -r {t.Get:0.00} s, rm -r {t.Rm:0.00} s ({files:N0} files)"));
                }
            }

            var what = $"a tree of {TreeDirectories} directories x {TreeFilesPerDirectory} files of {TreeFileBytes / 1024} KiB, {tool.Describe()}, median of {settings.Repeats}";
            foreach (var (command, pick) in new (string, Func<(double Put, double Get, double Rm), double>)[]
                     {
                         ("put -r", t => t.Put), ("get -r", t => t.Get), ("rm -r", t => t.Rm),
                     })
            {
                var one = Median(times[1].Select(pick));
                foreach (var jobs in TreeJobs)
                {
                    var seconds = Median(times[jobs].Select(pick));
                    _table.Add("tree", new Figure($"pfs {command} -j {jobs}, {what}",
                        string.Create(CultureInfo.InvariantCulture, $"{seconds:0.00} s ({files / seconds:N0} files/s)"),
                        jobs == 1 ? string.Empty : string.Create(CultureInfo.InvariantCulture, $"{one / seconds:0.00}x -j 1")));
                }
            }
        }
        finally
        {
            try
            {
                Directory.Delete(scratch, recursive: true);
            }
            catch (IOException)
            {
                // A scratch directory left in /tmp is no reason to fail the run.
            }
        }
    }

    private static int MakeSourceTree(string source)
    {
        var block = new byte[TreeFileBytes];
        var files = 0;
        for (var d = 0; d < TreeDirectories; d++)
        {
            var directory = Path.Combine(source, $"dir{d / 8}", $"sub{d:00}");
            Directory.CreateDirectory(directory);
            for (var f = 0; f < TreeFilesPerDirectory; f++)
            {
                Random.Shared.NextBytes(block);
                File.WriteAllBytes(Path.Combine(directory, $"file{f:000}.dat"), block);
                files++;
            }
        }

        return files;
    }

    private static async Task<(double Put, double Get, double Rm)> RunTreeRoundAsync(ToolRunner tool, string source, string scratch, string tag, int jobs,
                                                                                     CancellationToken cancellationToken)
    {
        var name = $"bench-tree-{tag}";
        var back = Path.Combine(scratch, $"back-{tag}");
        var j = jobs.ToString(CultureInfo.InvariantCulture);
        var put = await tool.RunAsync(["put", "-r", "-j", j, source, name], cancellationToken);
        var get = await tool.RunAsync(["get", "-r", "-j", j, name, back], cancellationToken);
        var rm = await tool.RunAsync(["rm", "-r", "-j", j, name], cancellationToken);
        Directory.Delete(back, recursive: true);
        return (put.Wall.TotalSeconds, get.Wall.TotalSeconds, rm.Wall.TotalSeconds);
    }
}
