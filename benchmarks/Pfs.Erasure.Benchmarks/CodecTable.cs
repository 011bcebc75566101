using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using Pfs.Erasure.Coding;
using Pfs.Erasure.Galois;

namespace Pfs.Erasure.Benchmarks;

/// <summary>
/// The table: GB/s of one thread for each implementation, side by side, for encode and for
/// decode with two data shards lost, per K+M shape and shard size.
/// </summary>
internal sealed class CodecTable(CodecTable.Mode mode, TextWriter output)
{
    public enum Mode
    {
        Full,
        Quick,

        /// <summary>One tiny row, to show that the table works (the test suite runs it).</summary>
        Smoke,
    }

    private static readonly (int K, int M)[] Shapes = [(4, 2), (8, 3), (10, 4)];

    private readonly (int K, int M)[] _shapes = mode == Mode.Smoke ? [(4, 2)] : Shapes;
    private readonly int[] _shardSizes = mode == Mode.Smoke ? [4096] : [64 * 1024, 1024 * 1024];
    private readonly TimeSpan _trial = TimeSpan.FromMilliseconds(mode switch { Mode.Full => 150, Mode.Quick => 15, _ => 1 });
    private readonly int _trials = mode == Mode.Full ? 3 : mode == Mode.Quick ? 2 : 1;
    private readonly IsaL? _isal = IsaL.TryLoad();
    private int _failures;

    public int Run()
    {
        var started = Stopwatch.StartNew();
        output.WriteLine($"CPU: {CpuName()}; {RuntimeInformation.FrameworkDescription}; {Environment.ProcessorCount} cores");
        output.WriteLine($"Kernels here: {string.Join(", ", GfKernels.Supported.Select(GfKernels.Name))}; the codec uses {GfKernels.Name(GfKernels.Best)}");
        output.WriteLine(_isal is null ? "ISA-L: not installed" : $"ISA-L: {IsaL.LibraryName} loaded; {CheckIsaLField()}");
        var clock = ThreadClock.MeasuresCpu ? "CPU time of the thread" : "wall time";
        output.WriteLine($"GB/s = K x shard size / {clock}, one thread, best of {_trials} runs of {_trial.TotalMilliseconds:0} ms ({mode.ToString().ToLowerInvariant()} run); load average {LoadAverage()}");
        output.WriteLine();

        var columns = new List<string> { "plain" };
        columns.AddRange(GfKernels.All.Select(GfKernels.Name));
        columns.Add("ISA-L");
        output.WriteLine($"| operation | K+M | shard | {string.Join(" | ", columns)} | codec / plain | codec / ISA-L |");
        output.WriteLine($"|---|---|---|{string.Concat(columns.Select(_ => "---:|"))}---:|---:|");

        foreach (var decode in new[] { false, true })
        {
            foreach (var (k, m) in _shapes)
            {
                foreach (var size in _shardSizes)
                {
                    output.WriteLine(Row(new Workload(decode, k, m, size)));
                }
            }
        }
        output.WriteLine();
        output.WriteLine($"({started.Elapsed.TotalSeconds:0.0} s, load average {LoadAverage()}; {(_failures == 0 ? "every output checked and right" : $"{_failures} WRONG OUTPUTS")})");
        return _failures == 0 ? 0 : 1;
    }

    private string Row(Workload work)
    {
        var cells = new List<string>();
        var plain = Measure(work, () => PlainCodec.Apply(work.Coefficients, work.Inputs, work.Outputs));
        cells.Add(Format(plain));

        double? codec = null;
        foreach (var kernel in GfKernels.All)
        {
            if (!GfKernels.IsSupported(kernel))
            {
                cells.Add("n/a");
                continue;
            }
            var code = new ReedSolomon(work.K, work.M, kernel);
            var data = work.Data;
            var parity = work.Parity;
            var all = work.All;
            double? figure = work.Decode
                ? Measure(work, () => code.Reconstruct(all, work.Present))
                : Measure(work, () => code.Encode(data, parity));
            cells.Add(Format(figure));
            if (kernel == GfKernels.Best)
            {
                codec = figure;
            }
        }

        double? isal = null;
        if (_isal is not null)
        {
            var tables = _isal.InitTables(work.K, work.Outputs.Length, work.Coefficients);
            isal = Measure(work, () => _isal.Encode(work.ShardSize, tables, work.Inputs, work.Outputs));
        }
        cells.Add(_isal is null ? "-" : Format(isal));

        var size = work.ShardSize >= 1024 * 1024 ? $"{work.ShardSize / (1024 * 1024)} MiB" : $"{work.ShardSize / 1024} KiB";
        return $"| {work.Name} | {work.K}+{work.M} | {size} | {string.Join(" | ", cells)} | {Ratio(codec, plain)} | {Ratio(codec, isal)} |";
    }

    private double? Measure(Workload work, Action operation)
    {
        var figure = CodecFigures.BestGBps(work, operation, _trial, _trials);
        if (figure is null)
        {
            _failures++;
        }
        return figure;
    }

    /// <summary>
    /// ISA-L's Cauchy rows are 1 / (i ^ j) in its field; ours start from the same values, so equal
    /// rows mean the same field (the byte-for-byte equal outputs of each row then show the rest).
    /// </summary>
    private string CheckIsaLField()
    {
        foreach (var (k, m) in Shapes)
        {
            var matrix = _isal!.Cauchy1Matrix(k, m);
            for (var i = 0; i < m; i++)
            {
                for (var j = 0; j < k; j++)
                {
                    if (matrix[(k + i) * k + j] != GaloisField.Inverse((byte)((k + i) ^ j)))
                    {
                        _failures++;
                        return "its field DIFFERS from ours";
                    }
                }
            }
        }
        return "same field (gf_gen_cauchy1_matrix agrees), fed our matrices through ec_init_tables/ec_encode_data";
    }

    private static string Format(double? gbps) =>
        gbps is { } value ? value.ToString(value < 10 ? "0.00" : "0.0", CultureInfo.InvariantCulture) : "WRONG";

    private static string Ratio(double? a, double? b) =>
        a is { } x && b is { } y && y > 0 ? (x / y).ToString("0.0", CultureInfo.InvariantCulture) + "x" : "-";

    private static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    private static string CpuName()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            return line?[(line.IndexOf(':') + 1)..].Trim() ?? RuntimeInformation.ProcessArchitecture.ToString();
        }
        catch (IOException)
        {
            return RuntimeInformation.ProcessArchitecture.ToString();
        }
    }
}
