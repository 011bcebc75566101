namespace Pfs.Benchmarks.Macro;

/// <summary>Sizes and durations of one macro run; <c>--quick</c> and <c>--smoke</c> shrink them.</summary>
internal sealed record BenchSettings
{
    private const int MiB = 1024 * 1024;

    public required string Mode { get; init; }

    /// <summary>The sequential file (and the ceiling's total bytes).</summary>
    public long FileBytes { get; init; } = 256L * MiB;

    /// <summary>A smaller run of the same kind, to show that the client's RSS does not follow the file size.</summary>
    public long SmallFileBytes { get; init; } = 32L * MiB;

    /// <summary>Bytes per ReadAsync/WriteAsync of the sequential runs (one reusable buffer).</summary>
    public int IoBytes { get; init; } = 4 * MiB;

    /// <summary>Messages of the bare-gRPC ceiling, and calls it keeps in flight (Pfs's MaxCallBytes and MaxConcurrentCalls).</summary>
    public int CeilingMessageBytes { get; init; } = MiB;

    public int CeilingConcurrency { get; init; } = 16;

    public TimeSpan CacheHitTime { get; init; } = TimeSpan.FromSeconds(2);

    public TimeSpan OpenCloseTime { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>Writer closes timed for the p50/p99.</summary>
    public int CloseSamples { get; init; } = 300;

    public int FanOutBlocks { get; init; } = 256;

    public int FanOutRepeats { get; init; } = 5;

    public int DelayMs { get; init; } = 2;

    /// <summary>Times each sequential run (and its paired ceiling run) is repeated; the table shows medians.</summary>
    public int Repeats { get; init; } = 3;

    public int FileServers { get; init; } = 4;

    /// <summary>
    /// <c>--link-mbit R</c>: each file server's port gets a link of R Mbit/s each way (an htb class on
    /// lo per direction), and the run measures scaling over widths 1, 2, 4 and 8 (8 file servers).
    /// </summary>
    public int? LinkMbit { get; init; }

    /// <summary>Bytes per file server of the scaling runs' file: a width-w file is w times this.</summary>
    public long ScalingBytesPerServer { get; init; } = 48L * MiB;

    /// <summary>Whether the file server and the pfs tool run as Native AOT executables (published on first use); <c>--jit</c> turns it off.</summary>
    public bool Native { get; init; } = true;

    /// <summary>Runs of <c>pfs stat</c> timed (after one untimed).</summary>
    public int StatRuns { get; init; } = 10;

    /// <summary>How long each random 4 KiB read or write figure runs.</summary>
    public TimeSpan RandomTime { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>The random 4 KiB I/O file (4 KiB blocks, width 4).</summary>
    public long RandomFileBytes { get; init; } = 64L * MiB;

    /// <summary>Extra environment for the file servers only (<c>--fs-env K=V</c>), for experiments such as GC settings.</summary>
    public IReadOnlyDictionary<string, string> FileServerEnvironment { get; init; } = new Dictionary<string, string>();

    /// <summary>Entries of the full directory in the namespace phase (<c>--ns-entries</c>): the create rate there is compared with an empty one's.</summary>
    public int NamespaceEntries { get; init; } = 1_000_000;

    /// <summary>
    /// The redundancy phase's files (<c>--redundancy-mib</c>): a 4+2 file and a width-4 M = 0 file of
    /// this many bytes each, in blocks of <see cref="RedundancyBlockSize"/>.
    /// </summary>
    public long RedundancyBytes { get; init; } = 256L * MiB;

    /// <summary>Block size of the redundancy phase's files (a 4+2 stripe is 4 of them, plus 2 of parity).</summary>
    public int RedundancyBlockSize { get; init; } = MiB;

    /// <summary>How long each codec figure of the redundancy phase is timed (best of <see cref="CodecTrials"/>).</summary>
    public TimeSpan CodecTrial { get; init; } = TimeSpan.FromMilliseconds(150);

    public int CodecTrials { get; init; } = 3;

    /// <summary>Phases to run (throughput, metadata, fanout, redundancy, ...); all when empty. For profiling one part. "namespace" runs only when named.</summary>
    public IReadOnlySet<string> Only { get; init; } = new HashSet<string>();

    /// <summary>Whether a phase is to run.</summary>
    public bool Runs(string phase) => Only.Count == 0 || Only.Contains(phase);

    public static BenchSettings Full { get; } = new() { Mode = "full" };

    public static BenchSettings Quick { get; } = new()
    {
        Mode = "quick",
        FileBytes = 64L * MiB,
        SmallFileBytes = 16L * MiB,
        CacheHitTime = TimeSpan.FromSeconds(1.5),
        OpenCloseTime = TimeSpan.FromSeconds(2),
        CloseSamples = 200,
        FanOutRepeats = 3,
        ScalingBytesPerServer = 24L * MiB,
        RandomTime = TimeSpan.FromSeconds(2),
        RandomFileBytes = 32L * MiB,
        RedundancyBytes = 64L * MiB,
        CodecTrial = TimeSpan.FromMilliseconds(50),
        CodecTrials = 2,
    };

    public static BenchSettings Smoke { get; } = new()
    {
        Mode = "smoke",
        FileBytes = 4L * MiB,
        SmallFileBytes = 1L * MiB,
        IoBytes = MiB,
        CacheHitTime = TimeSpan.FromSeconds(0.3),
        OpenCloseTime = TimeSpan.FromSeconds(0.3),
        CloseSamples = 20,
        FanOutBlocks = 32,
        FanOutRepeats = 1,
        Repeats = 1,
        ScalingBytesPerServer = 1L * MiB,
        Native = false,
        StatRuns = 2,
        RandomTime = TimeSpan.FromSeconds(0.3),
        RandomFileBytes = 2L * MiB,
        RedundancyBytes = 8L * MiB,
        CodecTrial = TimeSpan.FromMilliseconds(2),
        CodecTrials = 1,
    };

    public static string Describe(long bytes) =>
        bytes >= MiB ? $"{bytes / (double)MiB:0.#} MiB" : $"{bytes / 1024.0:0.#} KiB";
}
