using System.Diagnostics;
using Pfs.Benchmarks.Cluster;
using Pfs.Client;
using StackExchange.Redis;

namespace Pfs.Benchmarks.Macro;

/// <summary>Rates of one mdtest pass: operations per second (entries per second for listings), with their CPU cost.</summary>
internal sealed record MdtestRates(double Creates, double Stats, double ListedEntries, double Removes)
{
    public OperationCost CreateCost { get; init; }

    public OperationCost StatCost { get; init; }

    public OperationCost RemoveCost { get; init; }

    /// <summary>In a ceiling only: round trips per second of a bare namespace stream (<see cref="MdtestBenchmark"/>'s BareStreamAsync).</summary>
    public double Piped { get; init; }

    public OperationCost PipedCost { get; init; }
}

/// <summary>
/// CPU time per operation in microseconds: the benchmark process (its clients), the metadata server, and
/// the store. On two shared cores a rate follows the CPU an operation costs, so these say where a rate
/// goes even when other programs load the machine.
/// </summary>
internal readonly record struct OperationCost(double Client, double Meta, double Store)
{
    public double Total => Client + Meta + Store;

    public override string ToString() =>
        FormattableString.Invariant($"{Total:0} us CPU per op (clients {Client:0}, metadata server {Meta:0}, store {Store:0})");
}

/// <summary>
/// An mdtest-style phase: <see cref="Clients"/> clients (each its own <see cref="PfsClient"/>) each
/// create, stat, list and remove <c>filesPerClient</c> files, once all in one shared directory and once
/// in a directory each. Next to it, in the same run, the store's own ceiling: the same number of
/// MULTI/EXEC round trips, with the same commands and the same bytes that the metadata server's create
/// and unlink send, from a bare StackExchange.Redis loop of as many concurrent callers against the same
/// Redis. The template of a file's record is read back from the store after a real create, so the
/// ceiling writes exactly what Pfs writes.
/// </summary>
internal sealed class MdtestBenchmark(ProcessCluster cluster, int filesPerClient, Action<string> progress) : IAsyncDisposable
{
    public const int Clients = 16;
    private const string Prefix = "pfs:";
    private const string BarePrefix = "mdtest-bare:";

    private readonly List<PfsClient> _clients = [];
    // The same clients with the namespace stream off (a unary call each), for the side-by-side pass.
    private readonly List<PfsClient> _unaryClients = [];
    private bool _templateMade;

    public async Task<(MdtestRates Shared, MdtestRates Own, MdtestRates SharedUnary, MdtestRates Ceiling)> RunAsync(CancellationToken cancellationToken)
    {
        for (var i = 0; i < Clients; i++)
        {
            _clients.Add(await cluster.ConnectAsync(cancellationToken: cancellationToken));
            _unaryClients.Add(await cluster.ConnectAsync(options => options with { NamespaceStream = false }, cancellationToken));
        }

        // A whole pass first, in its own directory, unmeasured: the measured passes then time the metadata
        // path, not the JIT compiling it. With a tenth of the files as warm-up, whichever pass came first
        // still cost the metadata server twice the CPU per create of the second (558 against 272 us,
        // whichever directory layout it was).
        await _clients[0].CreateDirectoryAsync("md-warmup", cancellationToken);
        await PassAsync(_clients, i => "md-warmup", filesPerClient, cancellationToken);
        await PassAsync(_unaryClients, i => "md-warmup", filesPerClient, cancellationToken);
        await _clients[0].DeleteDirectoryAsync("md-warmup", cancellationToken);
        await _clients[0].CreateDirectoryAsync("md-shared", cancellationToken);
        await _clients[0].CreateDirectoryAsync("md-own", cancellationToken);
        for (var i = 0; i < Clients; i++)
        {
            await _clients[0].CreateDirectoryAsync($"md-own/c{i}", cancellationToken);
        }

        // Rounds of (shared, own, store ceiling) in turn, medians: on this shared machine the rate of one pass
        // moves by 2x from one minute to the next, and a ceiling measured once at the end made the ratio
        // depend on when the noise came.
        var (shared, own, sharedUnary, ceiling) = (new List<MdtestRates>(), new List<MdtestRates>(), new List<MdtestRates>(), new List<MdtestRates>());
        for (var round = 1; round <= Rounds; round++)
        {
            shared.Add(await PassAsync(_clients, i => "md-shared", filesPerClient, cancellationToken));
            progress($"  round {round}, mdtest, one shared directory: {Rates(shared[^1])}");
            own.Add(await PassAsync(_clients, i => $"md-own/c{i}", filesPerClient, cancellationToken));
            progress($"  round {round}, mdtest, a directory each: {Rates(own[^1])}");
            sharedUnary.Add(await PassAsync(_unaryClients, i => "md-shared", filesPerClient, cancellationToken));
            progress($"  round {round}, mdtest, one shared directory, a unary call each: {Rates(sharedUnary[^1])}");
            var (calls, callCost) = await BareUnaryAsync(cancellationToken);
            var (piped, pipedCost) = await BareStreamAsync(cancellationToken);
            ceiling.Add(await CeilingAsync(cancellationToken) with { Stats = calls, StatCost = callCost, Piped = piped, PipedCost = pipedCost });
            progress($"  round {round}, store ceiling (bare StackExchange.Redis, same MULTI/EXEC): {ceiling[^1].Creates:N0} creates/s, {ceiling[^1].Removes:N0} removes/s"
                     + $"\n    create: {ceiling[^1].CreateCost}\n    remove: {ceiling[^1].RemoveCost}"
                     + $"\n  round {round}, bare gRPC unary calls: {calls:N0}/s, {callCost}"
                     + $"\n  round {round}, bare namespace stream round trips: {piped:N0}/s, {pipedCost}");
        }

        return (Median(shared), Median(own), Median(sharedUnary), Median(ceiling));
    }

    /// <summary>Rounds of the measured passes and the ceiling, in turn.</summary>
    public const int Rounds = 3;

    /// <summary>Each figure's median over the rounds (figure by figure, so they may come from different rounds).</summary>
    private static MdtestRates Median(List<MdtestRates> rounds)
    {
        static double Of(IEnumerable<double> values) => MacroRunner.Median(values);

        static OperationCost Cost(IEnumerable<OperationCost> costs) =>
            new(Of(costs.Select(c => c.Client)), Of(costs.Select(c => c.Meta)), Of(costs.Select(c => c.Store)));

        return new MdtestRates(Of(rounds.Select(r => r.Creates)), Of(rounds.Select(r => r.Stats)), Of(rounds.Select(r => r.ListedEntries)), Of(rounds.Select(r => r.Removes)))
        {
            CreateCost = Cost(rounds.Select(r => r.CreateCost)),
            StatCost = Cost(rounds.Select(r => r.StatCost)),
            RemoveCost = Cost(rounds.Select(r => r.RemoveCost)),
            Piped = Of(rounds.Select(r => r.Piped)),
            PipedCost = Cost(rounds.Select(r => r.PipedCost)),
        };
    }

    /// <summary>Entries per second of one client listing <paramref name="directory"/> through.</summary>
    public static async Task<(long Entries, double PerSecond)> ListRateAsync(PfsClient client, string directory, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        long entries = 0;
        await foreach (var _ in client.ListAsync(directory, cancellationToken))
        {
            entries++;
        }

        return (entries, entries / clock.Elapsed.TotalSeconds);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients.Concat(_unaryClients))
        {
            await client.DisposeAsync();
        }
    }

    private static string Rates(MdtestRates rates) =>
        $"{rates.Creates:N0} creates/s, {rates.Stats:N0} stats/s, {rates.ListedEntries:N0} listed entries/s, {rates.Removes:N0} removes/s"
        + $"\n    create: {rates.CreateCost}\n    stat: {rates.StatCost}\n    remove: {rates.RemoveCost}";

    private async Task<MdtestRates> PassAsync(List<PfsClient> clients, Func<int, string> directoryOf, int files, CancellationToken cancellationToken)
    {
        string Name(int client, int n) => $"{directoryOf(client)}/f{client}-{n}";

        var (creates, createCost) = await PerSecondAsync(clients, Clients * files, (client, i) => Enumerate(files, async n =>
            await client.CreateAsync(Name(i, n), new PfsCreateOptions { StripeWidth = 1 }, cancellationToken)));
        var (stats, statCost) = await PerSecondAsync(clients, Clients * files, (client, i) => Enumerate(files, async n =>
            await client.StatAsync(Name(i, n), cancellationToken)));

        // Every client lists the directory its files are in, whole.
        long listed = 0;
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(clients.Select((client, i) => Task.Run(async () =>
            Interlocked.Add(ref listed, (await ListRateAsync(client, directoryOf(i), cancellationToken)).Entries))));
        var listedPerSecond = listed / clock.Elapsed.TotalSeconds;
        var (removes, removeCost) = await PerSecondAsync(clients, Clients * files, (client, i) => Enumerate(files, async n =>
            await client.UnlinkAsync(Name(i, n), cancellationToken)));
        return new MdtestRates(creates, stats, listedPerSecond, removes) { CreateCost = createCost, StatCost = statCost, RemoveCost = removeCost };
    }

    private static async Task Enumerate(int count, Func<int, Task> operation)
    {
        for (var n = 0; n < count; n++)
        {
            await operation(n);
        }
    }

    // Operations per second, and CPU per operation: `count` operations done by every client running `work` at once.
    private async Task<(double PerSecond, OperationCost Cost)> PerSecondAsync(List<PfsClient> clients, long count, Func<PfsClient, int, Task> work, int? server = null)
    {
        int[] meta = [server ?? cluster.MetaServer.Pid];
        int[] store = cluster.Redis is { } redis ? [redis.Pid] : [];
        var (metaBefore, storeBefore) = (CpuSnapshot.Take(meta), CpuSnapshot.Take(store));
        var clock = Stopwatch.StartNew();
        await Task.WhenAll(clients.Select((client, i) => Task.Run(() => work(client, i))));
        var elapsed = clock.Elapsed;
        var (metaUsed, storeUsed) = (CpuSnapshot.Take(meta) - metaBefore, CpuSnapshot.Take(store) - storeBefore);
        double PerOp(TimeSpan cpu) => cpu.TotalMicroseconds / count;
        return (count / elapsed.TotalSeconds, new OperationCost(PerOp(metaUsed.Client), PerOp(metaUsed.Servers), PerOp(storeUsed.Servers)));
    }

    /// <summary>
    /// What a stat is next to: the same number of unary gRPC calls, from as many callers each with its own
    /// connection (as each PfsClient has), to a handler that does nothing (Pfs.WireServer's DeleteObject),
    /// over the same Kestrel and HTTP/2 settings. Its CPU is counted as the metadata server's column.
    /// </summary>
    private async Task<(double PerSecond, OperationCost Cost)> BareUnaryAsync(CancellationToken cancellationToken)
    {
        var wire = cluster.WireServers.Count > 0 ? cluster.WireServers[0] : throw new InvalidOperationException("the bare gRPC ceiling needs a wire server");
        var channels = Enumerable.Range(0, Clients).Select(_ => Grpc.Net.Client.GrpcChannel.ForAddress(wire.Address)).ToArray();
        try
        {
            var callers = channels.Select(channel => new Pfs.Protocol.FileServer.FileService.FileServiceClient(channel)).ToArray();
            var request = new Pfs.Protocol.FileServer.DeleteObjectRequest();
            // Connected and warm (the wire server's handler compiled to its last tier) before the clock starts.
            await Task.WhenAll(callers.Select(async caller =>
            {
                for (var n = 0; n < 200; n++)
                {
                    await caller.DeleteObjectAsync(request, cancellationToken: cancellationToken);
                }
            }));
            return await PerSecondAsync(_clients, Clients * filesPerClient, (client, i) => Enumerate(filesPerClient, async n =>
                await callers[i].DeleteObjectAsync(request, cancellationToken: cancellationToken)), wire.Pid);
        }
        finally
        {
            foreach (var channel in channels)
            {
                channel.Dispose();
            }
        }
    }

    /// <summary>
    /// What a namespace call is next to: the same number of round trips on a namespace stream (MetaService.Pipe),
    /// from as many callers each with its own connection and stream (as each PfsClient has), each request an
    /// unlink of the name the mdtest pass removes, answered at once by a handler that looks nothing up
    /// (Pfs.WireServer), over the same Kestrel and HTTP/2 settings. The least a create or a remove can cost
    /// beyond the store's own transaction is this round trip; its CPU is counted as the metadata server's column.
    /// </summary>
    private async Task<(double PerSecond, OperationCost Cost)> BareStreamAsync(CancellationToken cancellationToken)
    {
        var wire = cluster.WireServers.Count > 0 ? cluster.WireServers[0] : throw new InvalidOperationException("the bare stream ceiling needs a wire server");
        var channels = Enumerable.Range(0, Clients).Select(_ => Grpc.Net.Client.GrpcChannel.ForAddress(wire.Address)).ToArray();
        var calls = channels.Select(channel => new Pfs.Protocol.Meta.MetaService.MetaServiceClient(channel).Pipe(cancellationToken: cancellationToken)).ToArray();
        try
        {
            async Task RoundTrips(int caller, int count)
            {
                var call = calls[caller];
                for (var n = 0; n < count; n++)
                {
                    var request = new Pfs.Protocol.Meta.PipeRequest { Id = (ulong)n + 1, Unlink = new Pfs.Protocol.Meta.UnlinkRequest { Path = $"md-shared/f{caller}-{n}" } };
                    await call.RequestStream.WriteAsync(request, cancellationToken);
                    if (!await call.ResponseStream.MoveNext(cancellationToken) || call.ResponseStream.Current.Id != request.Id)
                    {
                        throw new InvalidOperationException("the wire server's namespace stream did not answer the request it was sent");
                    }
                }
            }

            // Connected and warm before the clock starts.
            await Task.WhenAll(Enumerable.Range(0, Clients).Select(i => RoundTrips(i, 200)));
            var result = await PerSecondAsync(_clients, Clients * filesPerClient, (client, i) => RoundTrips(i, filesPerClient), wire.Pid);
            foreach (var call in calls)
            {
                await call.RequestStream.CompleteAsync();
            }

            return result;
        }
        finally
        {
            foreach (var call in calls)
            {
                call.Dispose();
            }

            foreach (var channel in channels)
            {
                channel.Dispose();
            }
        }
    }

    /// <summary>
    /// The same transactions the metadata server sends for a create (the file's record, the directory
    /// entry, the directory's times) and for an unlink of a file nobody holds and no writer ever had, as
    /// every mdtest file is (the entry gone, the directory's times, the record gone; such a file has no
    /// objects to reclaim, so no reclaim entry), from as many callers at once, on one multiplexer like the
    /// metadata server's, under keys of their own.
    /// </summary>
    private async Task<MdtestRates> CeilingAsync(CancellationToken cancellationToken)
    {
        var redis = cluster.Redis ?? throw new InvalidOperationException("the store ceiling needs the durable (Redis) metadata store");
        await using var connection = await ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{redis.Port}");
        var db = connection.GetDatabase();

        // A real file's record and its directory's, as the metadata server stored them.
        if (!_templateMade)
        {
            await _clients[0].CreateAsync("md-template", new PfsCreateOptions { StripeWidth = 1 }, cancellationToken);
            _templateMade = true;
        }

        var file = await _clients[0].StatAsync("md-template", cancellationToken);
        var fileFields = await db.HashGetAllAsync($"{Prefix}ino:{file.Inode}");
        var rootFields = await db.HashGetAllAsync($"{Prefix}ino:1");
        var times = rootFields.Where(f => f.Name == "modified" || f.Name == "changed").ToArray();
        if (fileFields.Length == 0 || times.Length != 2)
        {
            throw new InvalidOperationException($"the store's layout is not the one this ceiling copies ({fileFields.Length} file fields, {times.Length} time fields under '{Prefix}')");
        }

        var directory = (RedisKey)$"{BarePrefix}dir:1";
        var directoryNode = (RedisKey)$"{BarePrefix}ino:1";

        async Task Commit(ITransaction transaction)
        {
            if (!await transaction.ExecuteAsync())
            {
                throw new InvalidOperationException("the store refused a transaction");
            }
        }

        var (creates, createCost) = await PerSecondAsync(_clients, Clients * filesPerClient, (client, i) => Enumerate(filesPerClient, async n =>
        {
            var id = (i * filesPerClient) + n + 2;
            var transaction = db.CreateTransaction();
            _ = transaction.HashSetAsync($"{BarePrefix}ino:{id}", fileFields);
            _ = transaction.HashSetAsync(directory, $"f{i}-{n}", id);
            _ = transaction.HashSetAsync(directoryNode, times);
            await Commit(transaction);
        }));
        var (removes, removeCost) = await PerSecondAsync(_clients, Clients * filesPerClient, (client, i) => Enumerate(filesPerClient, async n =>
        {
            var id = (i * filesPerClient) + n + 2;
            var transaction = db.CreateTransaction();
            _ = transaction.HashDeleteAsync(directory, $"f{i}-{n}");
            _ = transaction.HashSetAsync(directoryNode, times);
            _ = transaction.KeyDeleteAsync($"{BarePrefix}ino:{id}");
            await Commit(transaction);
        }));
        await db.KeyDeleteAsync([directory, directoryNode]);
        return new MdtestRates(creates, 0, 0, removes) { CreateCost = createCost, RemoveCost = removeCost };
    }
}
