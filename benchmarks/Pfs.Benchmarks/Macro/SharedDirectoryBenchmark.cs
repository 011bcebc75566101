using System.Diagnostics;
using Pfs.Benchmarks.Cluster;
using Pfs.Client;

namespace Pfs.Benchmarks.Macro;

/// <summary>
/// Creates per second of 16 clients (each its own PfsClient) creating files in one shared
/// directory, starting empty, and in one holding <c>fullEntries</c> entries. A create must
/// cost the same at any directory size (one O(1) store transaction, no scan of the directory). The
/// full directory is filled first (which warms everything up); on the way, when it holds
/// <see cref="ListedEntries"/>, one client lists it through. Then, in each of <see cref="Rounds"/>
/// rounds, a run in a new empty directory and one in the full directory follow each other (in
/// alternating order), so a drift of the machine's load hits both alike; the medians are reported.
/// </summary>
internal sealed class SharedDirectoryBenchmark(ProcessCluster cluster, TimeSpan duration, int fullEntries, Action<string> progress) : IAsyncDisposable
{
    public const int Clients = 16;
    public const int ListedEntries = 100_000;
    private const int Rounds = 3;
    private const string Full = "full";

    private readonly List<PfsClient> _clients = [];
    private long _entries;

    /// <summary>Entries per second of one client listing the directory at <see cref="ListedEntries"/> entries (0 if it never held that many).</summary>
    public double ListRate { get; private set; }

    public async Task<(double Empty, double Full, TimeSpan FillTime)> RunAsync(CancellationToken cancellationToken)
    {
        for (var i = 0; i < Clients; i++)
        {
            _clients.Add(await cluster.ConnectAsync(cancellationToken: cancellationToken));
        }

        await _clients[0].CreateDirectoryAsync(Full, cancellationToken);
        var clock = Stopwatch.StartNew();
        var steps = Enumerable.Range(1, 10).Select(i => (long)fullEntries * i / 10).ToList();
        if (fullEntries >= ListedEntries)
        {
            steps.Add(ListedEntries);
        }

        var listing = TimeSpan.Zero;
        foreach (var size in steps.Distinct().Order())
        {
            var at = clock.Elapsed;
            var from = Interlocked.Read(ref _entries);
            await CreateAsync(Full, long.MaxValue, size, cancellationToken);
            progress($"  filling: {from:N0} to {size:N0} entries at {(size - from) / (clock.Elapsed - at).TotalSeconds:N0} creates/s");
            if (size == ListedEntries)
            {
                var listed = Stopwatch.StartNew();
                var (entries, rate) = await MdtestBenchmark.ListRateAsync(_clients[0], Full, cancellationToken);
                listing = listed.Elapsed;
                ListRate = entries == ListedEntries ? rate : throw new InvalidOperationException($"listing the directory gave {entries:N0} entries, not {ListedEntries:N0}");
                progress($"  listing {entries:N0} entries: {rate:N0} entries/s");
            }
        }

        var fill = clock.Elapsed - listing;
        var empty = new List<double>();
        var full = new List<double>();
        for (var round = 1; round <= Rounds; round++)
        {
            // Each round in a new empty directory; the order alternates, so neither side always runs second.
            var directory = $"empty-{round}";
            await _clients[0].CreateDirectoryAsync(directory, cancellationToken);
            if (round % 2 == 1)
            {
                empty.Add(await CreatesPerSecondAsync(directory, cancellationToken));
                full.Add(await CreatesPerSecondAsync(Full, cancellationToken));
            }
            else
            {
                full.Add(await CreatesPerSecondAsync(Full, cancellationToken));
                empty.Add(await CreatesPerSecondAsync(directory, cancellationToken));
            }

            progress($"  round {round}: {empty[^1]:N0} creates/s from empty, {full[^1]:N0} creates/s in the full directory");
        }

        return (Median(empty), Median(full), fill);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
        {
            await client.DisposeAsync();
        }
    }

    private static double Median(List<double> rates) => rates.Order().ElementAt(rates.Count / 2);

    private async Task<double> CreatesPerSecondAsync(string directory, CancellationToken cancellationToken)
    {
        var before = Interlocked.Read(ref _entries);
        var clock = Stopwatch.StartNew();
        await CreateAsync(directory, duration.Ticks, long.MaxValue, cancellationToken);
        return (Interlocked.Read(ref _entries) - before) / clock.Elapsed.TotalSeconds;
    }

    // Every client creates until the time (in ticks from now) is up or `until` files were created in all.
    private Task CreateAsync(string directory, long ticks, long until, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        return Task.WhenAll(_clients.Select(async (client, i) =>
        {
            while (clock.Elapsed.Ticks < ticks)
            {
                var entry = Interlocked.Increment(ref _entries);
                if (entry > until)
                {
                    Interlocked.Decrement(ref _entries);
                    return;
                }

                await client.CreateAsync($"{directory}/c{i}-{entry}", new PfsCreateOptions { StripeWidth = 1 }, cancellationToken);
            }
        }));
    }
}
