using Pfs.Erasure.Coding;

namespace Pfs.Erasure.Benchmarks;

/// <summary>
/// The timing behind the table, also for other benchmarks: the macro benchmark's redundancy phase
/// prints one shape's figures beside its cluster figures, measured the same way.
/// </summary>
internal static class CodecFigures
{
    /// <summary>GB/s per core of one workload: the plain loop, the codec's own kernel, ISA-L (null if not installed).</summary>
    /// <param name="Plain">The textbook table-lookup loop (<see cref="PlainCodec"/>).</param>
    /// <param name="Codec">The kernel <c>new ReedSolomon(k, m)</c> picks here.</param>
    /// <param name="IsaL">ISA-L's <c>ec_encode_data</c> on the same buffers, when <c>libisal.so.2</c> loads.</param>
    /// <param name="Kernel">The codec's kernel's name.</param>
    /// <param name="Clock">What a second is: the thread's CPU time, or wall time where that cannot be read.</param>
    public sealed record Result(double? Plain, double? Codec, double? IsaL, string Kernel, string Clock);

    /// <summary>
    /// Encode (or decode with the first two data shards lost) of K+M with shards of
    /// <paramref name="shardSize"/>; each figure the best of <paramref name="trials"/> runs of
    /// <paramref name="trial"/>, after its output was checked against the plain loop's. A wrong
    /// output is a null figure.
    /// </summary>
    public static Result Measure(bool decode, int k, int m, int shardSize, TimeSpan trial, int trials)
    {
        var work = new Workload(decode, k, m, shardSize);
        var plain = BestGBps(work, () => PlainCodec.Apply(work.Coefficients, work.Inputs, work.Outputs), trial, trials);
        var code = new ReedSolomon(k, m);
        var data = work.Data;
        var parity = work.Parity;
        var all = work.All;
        var codec = decode
            ? BestGBps(work, () => code.Reconstruct(all, work.Present), trial, trials)
            : BestGBps(work, () => code.Encode(data, parity), trial, trials);
        double? isal = null;
        if (IsaL.TryLoad() is { } library)
        {
            var tables = library.InitTables(k, work.Outputs.Length, work.Coefficients);
            isal = BestGBps(work, () => library.Encode(work.ShardSize, tables, work.Inputs, work.Outputs), trial, trials);
        }

        return new Result(plain, codec, isal, GfKernels.Name(GfKernels.Best), ThreadClock.MeasuresCpu ? "CPU time of the thread" : "wall time");
    }

    /// <summary>
    /// Runs <paramref name="operation"/> once and checks its output (null if wrong), then returns the best
    /// of <paramref name="trials"/> runs of at least <paramref name="trial"/> each, in GB of data per second.
    /// </summary>
    public static double? BestGBps(Workload work, Action operation, TimeSpan trial, int trials)
    {
        work.SpoilOutputs();
        operation();
        if (!work.OutputsAreRight())
        {
            return null;
        }

        var best = 0.0;
        for (var run = 0; run < trials; run++)
        {
            var count = 0;
            var start = ThreadClock.Seconds();
            double elapsed;
            do
            {
                operation();
                count++;
                elapsed = ThreadClock.Seconds() - start;
            }
            while (elapsed < trial.TotalSeconds);
            best = Math.Max(best, work.BytesPerOperation * count / elapsed / 1e9);
        }

        return best;
    }
}
