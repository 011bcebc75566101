using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;

namespace Pfs.Client.Diagnostics;

/// <summary>
/// The client's metrics, on the meter <see cref="MeterName"/>: cache hits, misses, evictions,
/// write-backs and invalidations (in blocks), open files, bytes per file server, and lock wait
/// time. The cache counters are observed from each live client's <see cref="PfsClient.Stats"/>, so
/// the cache's own paths pay nothing; the rest cost one enabled-check when nobody listens.
/// </summary>
public static class PfsMetrics
{
    /// <summary>Name of the client's <see cref="Meter"/> (the same as its activity source).</summary>
    public const string MeterName = PfsTelemetry.SourceName;

    internal static readonly Meter Meter = new(MeterName, typeof(PfsMetrics).Assembly.GetName().Version?.ToString());

    // Weak: a client that is never disposed must not be kept alive by its metrics.
    private static readonly ConditionalWeakTable<PfsClient, string> Clients = [];

    private static readonly Counter<long> CacheMisses = Meter.CreateCounter<long>(
        "pfs.client.cache.misses", "{block}", "Blocks a read did not find in the cache and fetched from the file servers");

    private static readonly Counter<long> ServerBytes = Meter.CreateCounter<long>(
        "pfs.client.fileserver.bytes", "By", "Payload bytes read from and written to each file server");

    private static readonly Histogram<double> LockWait = Meter.CreateHistogram<double>(
        "pfs.client.lock.wait", "ms", "Time an open waited at the metadata server for its lock");

    private static readonly Counter<long> RepairBytes = Meter.CreateCounter<long>(
        "pfs.client.repair.bytes", "By", "Shard bytes a repair rebuilt and wrote to the servers that lacked them");

    private static readonly Counter<long> RepairFiles = Meter.CreateCounter<long>(
        "pfs.client.repair.files", "{file}", "Files a repair returned to full redundancy");

    private static readonly Counter<long> RepairPasses = Meter.CreateCounter<long>(
        "pfs.client.repair.passes", "{pass}", "Repair passes run, by whether every file listed could be repaired");

    static PfsMetrics()
    {
        ObserveCache("pfs.client.cache.hits", "Blocks a read or write found in the cache",
            "pfs.cache.access", ("read", static stats => stats.ReadHits), ("write", static stats => stats.WriteHits));
        ObserveCache("pfs.client.cache.evictions", "Blocks dropped from the cache: pushed out by LRU pressure, or for another reason (delete, lost session)",
            "pfs.cache.reason", ("lru", static stats => stats.Evictions), ("other", static stats => stats.CloseEvictions));
        ObserveCache("pfs.client.cache.writebacks", "Dirty blocks written back to the file servers, on eviction or at close",
            "pfs.cache.reason", ("eviction", static stats => stats.Writebacks), ("close", static stats => stats.CloseWritebacks));
        ObserveCache("pfs.client.cache.readahead", "Blocks read ahead for sequential readers, and those of them dropped unread",
            "pfs.readahead.outcome", ("fetched", static stats => stats.ReadAheadBlocks), ("unused", static stats => stats.ReadAheadUnused));
        ObserveCache("pfs.client.cache.invalidations", "Cached blocks dropped because another client's writer changed them",
            tagKey: null, (null, static stats => stats.Invalidations));
        Meter.CreateObservableUpDownCounter("pfs.client.open_files", ObserveOpenFiles, "{file}", "Files this client has open");
    }

    /// <summary>Starts observing a connected client's cache and open files.</summary>
    internal static void Track(PfsClient client) => Clients.AddOrUpdate(client, client.Options.ClientId);

    /// <summary>Stops observing a disposed client.</summary>
    internal static void Untrack(PfsClient client) => Clients.Remove(client);

    /// <summary>Blocks a read of client <paramref name="clientId"/> had to fetch.</summary>
    internal static void RecordMisses(int blocks, string clientId)
    {
        if (blocks > 0 && CacheMisses.Enabled)
        {
            CacheMisses.Add(blocks, ClientTag(clientId));
        }
    }

    /// <summary>Bytes one read call got from a file server.</summary>
    internal static void RecordRead(int server, string address, IReadOnlyList<ReadOnlyMemory<byte>> data)
    {
        if (ServerBytes.Enabled)
        {
            long bytes = 0;
            foreach (var range in data)
            {
                bytes += range.Length;
            }

            RecordServerBytes(server, address, "read", bytes);
        }
    }

    /// <summary>Bytes one write call sent to a file server.</summary>
    internal static void RecordWrite(int server, string address, long bytes)
    {
        if (ServerBytes.Enabled)
        {
            RecordServerBytes(server, address, "write", bytes);
        }
    }

    /// <summary>Shard bytes a repair rebuilt and wrote.</summary>
    internal static void RecordRebuilt(long bytes) => RepairBytes.Add(bytes);

    /// <summary>A file a repair returned to full redundancy.</summary>
    internal static void RecordRepairedFile() => RepairFiles.Add(1);

    /// <summary>A repair pass, complete or with <paramref name="failures"/> files it could not repair.</summary>
    internal static void RecordRepairPass(int failures) =>
        RepairPasses.Add(1, new KeyValuePair<string, object?>("pfs.repair.outcome", failures == 0 ? "complete" : "failures"));

    /// <summary>How long an open waited for its lock, from a <see cref="Stopwatch.GetTimestamp"/> taken before it asked.</summary>
    internal static void RecordLockWait(long startedTimestamp, PfsOpenMode mode)
    {
        if (LockWait.Enabled)
        {
            LockWait.Record(Stopwatch.GetElapsedTime(startedTimestamp).TotalMilliseconds,
                new KeyValuePair<string, object?>("pfs.lock.mode", mode == PfsOpenMode.Write ? "write" : "read"));
        }
    }

    private static void RecordServerBytes(int server, string address, string direction, long bytes) =>
        ServerBytes.Add(bytes,
            new KeyValuePair<string, object?>("pfs.server.index", server),
            new KeyValuePair<string, object?>("pfs.server.address", address),
            new KeyValuePair<string, object?>("pfs.io.direction", direction));

    /// <summary>
    /// An observable counter of blocks, read from every live client's <see cref="PfsClient.Stats"/>: one
    /// measurement per client and figure, tagged with the client id and, when <paramref name="tagKey"/> is
    /// set, <paramref name="tagKey"/> = the figure's tag.
    /// </summary>
    private static void ObserveCache(string name, string description, string? tagKey, params (string? Tag, Func<PfsCacheStats, long> Value)[] figures) =>
        Meter.CreateObservableCounter(name, () => MeasureCache(tagKey, figures), "{block}", description);

    private static IEnumerable<Measurement<long>> MeasureCache(string? tagKey, (string? Tag, Func<PfsCacheStats, long> Value)[] figures)
    {
        foreach (var (client, clientId) in Clients)
        {
            var stats = client.Stats;
            foreach (var (tag, value) in figures)
            {
                yield return tagKey is null
                    ? new Measurement<long>(value(stats), ClientTag(clientId))
                    : new Measurement<long>(value(stats), ClientTag(clientId), new KeyValuePair<string, object?>(tagKey, tag));
            }
        }
    }

    private static KeyValuePair<string, object?> ClientTag(string clientId) => new("pfs.client.id", clientId);

    private static IEnumerable<Measurement<long>> ObserveOpenFiles()
    {
        foreach (var (client, clientId) in Clients)
        {
            yield return new Measurement<long>(client.OpenFileCount, ClientTag(clientId));
        }
    }
}
