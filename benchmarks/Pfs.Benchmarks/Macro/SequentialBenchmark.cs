using System.Buffers.Binary;
using System.Diagnostics;
using System.Runtime;
using Pfs.Benchmarks.Cluster;

namespace Pfs.Benchmarks.Macro;

/// <summary>
/// The result of one sequential run: throughputs in MB/s and the peak RSS of the client and file
/// servers during it. A memory figure is null when the RSS it needs could not be read.
/// </summary>
/// <param name="Width">Data blocks per stripe.</param>
/// <param name="BlockSize">Bytes per block.</param>
/// <param name="Bytes">Size of the file written and read.</param>
/// <param name="WriteMBps">Write rate, the close included.</param>
/// <param name="ReadMBps">Read rate of a fresh client.</param>
/// <param name="ClientPeakRss">The benchmark process's peak RSS during the run.</param>
/// <param name="ClientRssGrowth">The client's peak RSS during the run minus its RSS just before (after a full, compacting GC).</param>
/// <param name="ClientRetained">The client's RSS after the run and another full GC, minus the same baseline: what the run kept.</param>
/// <param name="FileServerPeakRss">The largest peak RSS of the file servers during the run.</param>
/// <param name="WriteCpu">CPU used by every process while writing.</param>
/// <param name="ReadCpu">CPU used by every process while reading.</param>
internal sealed record SequentialResult(int Width, int BlockSize, long Bytes, double WriteMBps, double ReadMBps,
                                        long? ClientPeakRss, long? ClientRssGrowth, long? ClientRetained, long? FileServerPeakRss,
                                        CpuSnapshot WriteCpu, CpuSnapshot ReadCpu)
{
    /// <summary>A second read of the same file by a client with read-ahead off (the read before it existed), when asked for.</summary>
    public double? ReadNoAheadMBps { get; init; }

    public CpuSnapshot? ReadNoAheadCpu { get; init; }
}

/// <summary>
/// Pfs sequential write then read of one file through the public client API: the writer opens,
/// writes the file in <see cref="BenchSettings.IoBytes"/> calls from one reusable buffer and closes
/// (the close, which flushes and syncs, is timed); a fresh client then opens it, reads it in calls
/// of the same size into one reusable buffer (checking every 512-byte slot's stamp) and closes.
/// </summary>
internal sealed class SequentialBenchmark(ProcessCluster cluster, BenchSettings settings)
{
    private const int Slot = 512;

    private readonly byte[] _source = CreateSource(settings.IoBytes);
    private readonly byte[] _target = new byte[settings.IoBytes];
    private int _files;

    /// <param name="width">Data blocks per stripe of the file.</param>
    /// <param name="blockSize">Bytes per block.</param>
    /// <param name="bytes">Size of the file.</param>
    /// <param name="cancellationToken">Stops the run.</param>
    /// <param name="alsoWithoutReadAhead">Read the file a second time with <c>ReadAheadBytes = 0</c>, for the side-by-side figure.</param>
    public async Task<SequentialResult> RunAsync(int width, int blockSize, long bytes, CancellationToken cancellationToken,
                                                 bool alsoWithoutReadAhead = false)
    {
        var name = $"seq-w{width}-b{blockSize}-{Interlocked.Increment(ref _files)}";
        await using var admin = await cluster.ConnectAsync(cancellationToken: cancellationToken);
        await admin.CreateAsync(name, width, blockSize, cancellationToken);

        // Start every run from a compacted heap with its free memory given back, so the RSS a run
        // reaches reflects that run, not the garbage of the ones before it.
        var baseline = CollectAndReadRss();

        double write, read;
        CpuSnapshot writeCpu, readCpu;
        await using (var sampler = RssSampler.Start([Environment.ProcessId, .. cluster.FileServerPids]))
        {
            (write, writeCpu) = await WriteAsync(name, bytes, cancellationToken);

            (read, readCpu) = await ReadAsync(name, bytes, configure: null, cancellationToken);
            var peak = sampler.Peak(Environment.ProcessId);
            var result = new SequentialResult(width, blockSize, bytes, write, read,
                peak, peak - baseline, CollectAndReadRss() - baseline,
                sampler.MaxPeak(cluster.FileServerPids), writeCpu, readCpu);
            if (alsoWithoutReadAhead)
            {
                var (noAhead, noAheadCpu) = await ReadAsync(name, bytes, options => options with { ReadAheadBytes = 0 }, cancellationToken);
                result = result with { ReadNoAheadMBps = noAhead, ReadNoAheadCpu = noAheadCpu };
            }

            await admin.DeleteAsync(name, cancellationToken);
            return result;
        }
    }

    /// <summary>
    /// Writes the first <paramref name="bytes"/> of the existing file <paramref name="name"/> with a fresh
    /// client: open, stamped calls of <see cref="BenchSettings.IoBytes"/>, close (timed with the rest).
    /// </summary>
    public async Task<(double MBps, CpuSnapshot Cpu)> WriteAsync(string name, long bytes, CancellationToken cancellationToken)
    {
        await using var writer = await cluster.ConnectAsync(cancellationToken: cancellationToken);
        var pids = cluster.ServerPids;
        var cpu = CpuSnapshot.Take(pids);
        var started = Stopwatch.GetTimestamp();
        await using (var file = await writer.OpenAsync(name, Client.PfsOpenMode.Write, cancellationToken))
        {
            for (long offset = 0; offset < bytes; offset += _source.Length)
            {
                var count = (int)Math.Min(_source.Length, bytes - offset);
                Stamp(_source.AsSpan(0, count), offset);
                await file.WriteAsync(_source.AsMemory(0, count), offset, cancellationToken);
            }
        }

        return (CeilingBenchmark.MegabytesPerSecond(bytes, started), CpuSnapshot.Take(pids) - cpu);
    }

    /// <summary>Reads back what <see cref="WriteAsync"/> wrote with a fresh client (<paramref name="configure"/> may change its options).</summary>
    public async Task<(double MBps, CpuSnapshot Cpu)> ReadAsync(string name, long bytes, Func<Client.PfsClientOptions, Client.PfsClientOptions>? configure,
                                                              CancellationToken cancellationToken)
    {
        await using var reader = await cluster.ConnectAsync(configure, cancellationToken);
        return await ReadAsync(reader, name, bytes, cancellationToken);
    }

    /// <summary>
    /// Reads back what <see cref="WriteAsync"/> wrote, through <paramref name="reader"/> (a client already
    /// connected, so one made before a server was killed can still be used): open, calls of
    /// <see cref="BenchSettings.IoBytes"/> checked as they come, close; throws if a byte is wrong.
    /// </summary>
    public async Task<(double MBps, CpuSnapshot Cpu)> ReadAsync(Client.PfsClient reader, string name, long bytes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var pids = cluster.ServerPids;
        var cpu = CpuSnapshot.Take(pids);
        var started = Stopwatch.GetTimestamp();
        await using (var file = await reader.OpenAsync(name, Client.PfsOpenMode.Read, cancellationToken))
        {
            for (long offset = 0; offset < bytes; offset += _target.Length)
            {
                var count = (int)Math.Min(_target.Length, bytes - offset);
                var got = await file.ReadAsync(_target.AsMemory(0, count), offset, cancellationToken);
                try
                {
                    Check(_target.AsSpan(0, got), offset, count, first: offset == 0);
                }
                catch (InvalidOperationException ex)
                {
                    throw new InvalidOperationException($"'{name}': {ex.Message}; the servers' warnings and errors so far:{Environment.NewLine}{cluster.WarningDigest()}", ex);
                }
            }
        }

        return (CeilingBenchmark.MegabytesPerSecond(bytes, started), CpuSnapshot.Take(pids) - cpu);
    }

    private static long? CollectAndReadRss()
    {
        GCSettings.LargeObjectHeapCompactionMode = GCLargeObjectHeapCompactionMode.CompactOnce;
        GC.Collect(2, GCCollectionMode.Aggressive, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        return RssSampler.ReadRss(Environment.ProcessId);
    }

    private static byte[] CreateSource(int length)
    {
        var source = new byte[length];
        new Random(5).NextBytes(source);
        return source;
    }

    // Every 512-byte slot starts with its file offset, so a block read from the wrong place shows.
    private static void Stamp(Span<byte> chunk, long offset)
    {
        for (var at = 0; at + sizeof(long) <= chunk.Length; at += Slot)
        {
            BinaryPrimitives.WriteInt64LittleEndian(chunk[at..], offset + at);
        }
    }

    // What a wrong slot holds, for the one line a failed run leaves: zeros (a block the server did not
    // have) and another offset's stamp (a block from the wrong place) are different bugs.
    private static string WrongSlot(ReadOnlySpan<byte> chunk, int at, long offset)
    {
        var slot = chunk[at..Math.Min(chunk.Length, at + Slot)];
        var stamp = BinaryPrimitives.ReadInt64LittleEndian(slot);
        var holds = !slot.ContainsAnyExcept((byte)0) ? "zeros"
            : stamp >= 0 && stamp % Slot == 0 ? $"the stamp of byte {stamp}"
            : $"neither zeros nor a stamp ({stamp:x16})";
        var wrongSlots = 0;
        for (var other = 0; other + sizeof(long) <= chunk.Length; other += Slot)
        {
            if (BinaryPrimitives.ReadInt64LittleEndian(chunk[other..]) != offset + other)
            {
                wrongSlots++;
            }
        }

        return $"byte {offset + at} read back wrong: it holds {holds}; {wrongSlots} of the {(chunk.Length + Slot - 1) / Slot} "
               + $"512-byte slots of the {chunk.Length}-byte read at {offset} are wrong";
    }

    private void Check(ReadOnlySpan<byte> chunk, long offset, int expected, bool first)
    {
        if (chunk.Length != expected)
        {
            throw new InvalidOperationException($"read at {offset} returned {chunk.Length} bytes, not {expected}");
        }

        for (var at = 0; at + sizeof(long) <= chunk.Length; at += Slot)
        {
            if (BinaryPrimitives.ReadInt64LittleEndian(chunk[at..]) != offset + at)
            {
                throw new InvalidOperationException(WrongSlot(chunk, at, offset));
            }
        }

        // The first chunk in full; the stamps catch misplaced blocks everywhere else.
        if (first)
        {
            var expectedBytes = _source.AsSpan(0, chunk.Length).ToArray();
            Stamp(expectedBytes, offset);
            if (!chunk.SequenceEqual(expectedBytes))
            {
                throw new InvalidOperationException("the first chunk read back differs from what was written");
            }
        }
    }
}
