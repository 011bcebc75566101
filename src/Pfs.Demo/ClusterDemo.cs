using System.Diagnostics;
using System.Security.Cryptography;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Pfs.Client;
using Pfs.ServiceDefaults;

namespace Pfs.Demo;

/// <summary>
/// The demo against a running cluster (as Aspire starts it): every few seconds a striped write, a
/// striped read across the file servers, and a block-level invalidation between two clients, each
/// a trace of its own, exported over OTLP so the dashboard shows the parallel per-server calls.
/// </summary>
internal static partial class ClusterDemo
{
    /// <summary>Configuration keys, in order, that name the metadata server (Aspire sets one of the last two).</summary>
    private static readonly string[] MetaServerKeys = ["meta", "Pfs:MetaServer", "services:metaserver:https:0", "services:metaserver:http:0"];

    /// <summary>The CA the servers' certificates must chain to, as the pfs tool reads it (the AppHost sets it; the key comes as PFS_KEY).</summary>
    private const string TlsCaKey = "PFS_TLS_CA";

    private static readonly ActivitySource Source = new("Pfs.Demo");

    /// <summary>The metadata server to use, from <c>--meta URL</c> or configuration; null runs the in-process tour.</summary>
    public static Uri? MetaServerAddress(string[] args)
    {
        var configuration = new ConfigurationBuilder().AddEnvironmentVariables().AddCommandLine(args).Build();
        return MetaServerKeys.Select(key => configuration[key]).FirstOrDefault(v => !string.IsNullOrWhiteSpace(v)) is { } address
            ? new Uri(address)
            : null;
    }

    /// <summary>
    /// Runs <c>--rounds N</c> rounds (0: until stopped) every <c>--interval S</c> seconds (default 5)
    /// on a file striped over <c>--width W</c> file servers (default 3), then idles until stopped,
    /// so the process stays up for the dashboard.
    /// </summary>
    public static async Task<int> RunAsync(Uri metaServer, string[] args)
    {
        var builder = Host.CreateApplicationBuilder(args);
        builder.AddServiceDefaults();
        builder.Services.AddHostedService(services => new Workload(metaServer, builder.Configuration[TlsCaKey],
            builder.Configuration.GetValue("width", 3),
            builder.Configuration.GetValue("rounds", 0),
            TimeSpan.FromSeconds(builder.Configuration.GetValue("interval", 5.0)),
            services.GetRequiredService<ILoggerFactory>()));
        using var host = builder.Build();
        await host.RunAsync();
        return 0;
    }

    private sealed partial class Workload(Uri metaServer, string? tlsCa, int stripeWidth, int rounds, TimeSpan interval, ILoggerFactory loggerFactory) : BackgroundService
    {
        private const string FileName = "demo-report.bin";
        private const int Block = 512;
        private const int FileBytes = 1024 * 1024;
        private readonly ILogger _logger = loggerFactory.CreateLogger("Pfs.Demo");

        protected override async Task ExecuteAsync(CancellationToken stoppingToken)
        {
            var suffix = Environment.ProcessId;
            await using var alice = await ConnectAsync($"demo-alice-{suffix}", stoppingToken);
            await using var bob = await ConnectAsync($"demo-bob-{suffix}", stoppingToken);
            LogConnected(_logger, metaServer);

            for (var round = 1; rounds == 0 || round <= rounds; round++)
            {
                try
                {
                    await RoundAsync(alice, bob, round, stoppingToken);
                }
                catch (PfsException ex)
                {
                    // A server restarting (or the metadata store down): try again next round.
                    LogRoundFailed(_logger, round, ex.Code, ex.Message);
                }

                await Task.Delay(interval, stoppingToken);
            }

            LogIdle(_logger, rounds);
            await Task.Delay(Timeout.Infinite, stoppingToken);
        }

        private Task<PfsClient> ConnectAsync(string clientId, CancellationToken cancellationToken) =>
            PfsClient.ConnectAsync(new PfsClientOptions
            {
                ClientId = clientId,
                MetaServer = metaServer,
                TlsCa = string.IsNullOrWhiteSpace(tlsCa) ? null : tlsCa,
                LoggerFactory = loggerFactory,
            }, cancellationToken);

        private async Task RoundAsync(PfsClient alice, PfsClient bob, int round, CancellationToken cancellationToken)
        {
            var data = new byte[FileBytes];
            new Random(round).NextBytes(data);

            using (var step = Source.StartActivity("demo.striped-write"))
            {
                step?.SetTag("demo.round", round);
                try
                {
                    await alice.CreateAsync(FileName, stripeWidth, cancellationToken);
                }
                catch (PfsException ex) when (ex.Code == PfsErrorCode.AlreadyExists)
                {
                    // Created by an earlier round, or an earlier run: Redis keeps it.
                }

                await using var file = await alice.OpenAsync(FileName, PfsOpenMode.Write, cancellationToken);
                await file.WriteAsync(data, 0, cancellationToken);
            }

            using (var step = Source.StartActivity("demo.striped-read"))
            {
                step?.SetTag("demo.round", round);
                var back = new byte[FileBytes];
                await using (var file = await bob.OpenAsync(FileName, PfsOpenMode.Read, cancellationToken))
                {
                    await file.ReadAsync(back, 0, cancellationToken);
                }

                var same = SHA256.HashData(back).AsSpan().SequenceEqual(SHA256.HashData(data));
                step?.SetTag("demo.verified", same);
                LogRead(_logger, round, same ? "matches" : "DOES NOT match");
            }

            using (var step = Source.StartActivity("demo.invalidation"))
            {
                step?.SetTag("demo.round", round);
                var tail = new byte[128 * Block];
                await using (var file = await bob.OpenAsync(FileName, PfsOpenMode.Read, cancellationToken))
                {
                    // bob caches blocks 1920-2047 (his cache holds 128 blocks)...
                    await file.ReadAsync(tail, 1920 * Block, cancellationToken);
                }

                var before = bob.Stats;
                await using (var file = await alice.OpenAsync(FileName, PfsOpenMode.Write, cancellationToken))
                {
                    await file.WriteAsync(new byte[] { (byte)round, 2, 3 }, 2000 * Block, cancellationToken);
                    await file.WriteAsync(new byte[] { 4, 5, (byte)round }, 2040 * Block, cancellationToken);
                }

                // ...alice's close told him to drop exactly 2000 and 2040, so he fetches only those two.
                await using (var file = await bob.OpenAsync(FileName, PfsOpenMode.Read, cancellationToken))
                {
                    await file.ReadAsync(tail, 1920 * Block, cancellationToken);
                }

                var after = bob.Stats;
                step?.SetTag("demo.invalidated_blocks", after.Invalidations - before.Invalidations);
                step?.SetTag("demo.read_hits", after.ReadHits - before.ReadHits);
                LogInvalidated(_logger, round, after.Invalidations - before.Invalidations, after.ReadHits - before.ReadHits);
            }
        }

        [LoggerMessage(EventId = 1, EventName = "Connected", Level = LogLevel.Information, Message = "Demo workload connected to the metadata server at {Address}")]
        private static partial void LogConnected(ILogger logger, Uri address);

        [LoggerMessage(EventId = 2, EventName = "RoundRead", Level = LogLevel.Information, Message = "Round {Round}: bob's striped read of 1 MiB {Outcome} what alice wrote")]
        private static partial void LogRead(ILogger logger, int round, string outcome);

        [LoggerMessage(EventId = 3, EventName = "RoundCache", Level = LogLevel.Information, Message = "Round {Round}: bob dropped {Invalidated} block(s) on alice's close and found {Hits} of 128 in his cache")]
        private static partial void LogInvalidated(ILogger logger, int round, long invalidated, long hits);

        [LoggerMessage(EventId = 4, EventName = "RoundFailed", Level = LogLevel.Warning, Message = "Round {Round} failed ({Code}): {Message}")]
        private static partial void LogRoundFailed(ILogger logger, int round, PfsErrorCode code, string message);

        [LoggerMessage(EventId = 5, EventName = "Finished", Level = LogLevel.Information, Message = "Demo workload finished its {Rounds} round(s); idling")]
        private static partial void LogIdle(ILogger logger, int rounds);
    }
}
