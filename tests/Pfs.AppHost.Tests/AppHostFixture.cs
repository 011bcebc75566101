using System.Diagnostics;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Pfs.Client;

namespace Pfs.AppHost.Tests;

/// <summary>
/// The AppHost, started once for all Aspire tests as `dotnet run` starts it, secure: Garnet, three
/// file servers and the metadata server with TLS and authentication required, one round of the
/// demo and the repair worker, with their data (and the secrets the AppHost makes at its first run)
/// under a scratch directory.
/// </summary>
public sealed class AppHostFixture : IAsyncLifetime
{
    /// <summary>Every resource the AppHost declares, top to bottom.</summary>
    public static readonly string[] Resources = ["redis", "fileserver-0", "fileserver-1", "fileserver-2", "metaserver", "demo", "repair"];

    public static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);

    /// <summary>The endpoint every server of the secure AppHost serves gRPC over TLS on.</summary>
    public const string ServerEndpoint = "https";

    private readonly string _dataRoot = Path.Combine(Path.GetTempPath(), "pfs-apphost-" + Guid.NewGuid().ToString("N")[..12]);
    private int _clients;

    public DistributedApplication App { get; private set; } = null!;

    /// <summary>From StartAsync until every resource reported healthy.</summary>
    public TimeSpan TimeToHealthy { get; private set; }

    /// <summary>How long building and starting the app took before that.</summary>
    public TimeSpan TimeToStarted { get; private set; }

    public async Task InitializeAsync()
    {
        var clock = Stopwatch.StartNew();
        App = await StartAppAsync();
        TimeToStarted = clock.Elapsed;
        await WaitUntilHealthyAsync();
        TimeToHealthy = clock.Elapsed;
    }

    /// <summary>
    /// Stops every resource of the app and starts the AppHost anew on the same data directories,
    /// as a second `dotnet run` would: every endpoint gets a new port.
    /// </summary>
    public async Task RestartWholeAppAsync()
    {
        await StopAppAsync();
        App = await StartAppAsync();
        await WaitUntilHealthyAsync();
    }

    private async Task<DistributedApplication> StartAppAsync()
    {
        using var timeout = new CancellationTokenSource(StartTimeout);
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Pfs_AppHost>(
            [$"--Pfs:DataRoot={_dataRoot}", "--Pfs:DemoRounds=1"], timeout.Token);
        builder.Services.AddLogging(logging => logging
            // Resource output is forwarded as logs; keep a test run's output to what went wrong.
            .SetMinimumLevel(LogLevel.Warning)
            .AddFilter("Aspire.Hosting", LogLevel.Warning)
            .AddFilter($"{builder.Environment.ApplicationName}.Resources", LogLevel.Warning)
            // Checks keep running while the app stops, and fail then, as they should.
            .AddFilter("Microsoft.Extensions.Diagnostics.HealthChecks", LogLevel.None));
        var app = await builder.BuildAsync(timeout.Token);
        await app.StartAsync(timeout.Token);
        return app;
    }

    private async Task WaitUntilHealthyAsync()
    {
        using var timeout = new CancellationTokenSource(StartTimeout);
        foreach (var resource in Resources)
        {
            await App.ResourceNotifications.WaitForResourceHealthyAsync(resource, timeout.Token);
        }
    }

    private async Task StopAppAsync()
    {
        if (App is { } app)
        {
            App = null!;
            using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            await app.StopAsync(timeout.Token);
            await app.DisposeAsync();
        }
    }

    public async Task DisposeAsync()
    {
        await StopAppAsync();

        try
        {
            Directory.Delete(_dataRoot, recursive: true);
        }
        catch (IOException)
        {
            // A scratch directory left behind is harmless.
        }
    }

    /// <summary>The metadata server's address, as service discovery hands it to clients.</summary>
    public Uri MetaServer => Endpoint("metaserver");

    /// <summary>A server resource's address (https://localhost:PORT).</summary>
    public Uri Endpoint(string resource) => App.GetEndpoint(resource, ServerEndpoint);

    /// <summary>Where the AppHost keeps what it made at its first run (DataRoot/secrets).</summary>
    public string SecretsDirectory => Path.Combine(_dataRoot, "secrets");

    /// <summary>The development CA the servers' certificate chains to.</summary>
    public string CaFile => Path.Combine(SecretsDirectory, "ca.pem");

    /// <summary>The key of the identity the AppHost's own clients run as.</summary>
    public string ClientKeyFile => Path.Combine(SecretsDirectory, "client.key");

    /// <summary>A client of the app's cluster with a unique id, with the AppHost's client key and CA, as the demo has them.</summary>
    public Task<PfsClient> ConnectAsync() => PfsClient.ConnectAsync(ClientOptions() with { KeyFile = ClientKeyFile });

    /// <summary>Options for a client of the app's cluster that trusts its CA and names no key.</summary>
    public PfsClientOptions ClientOptions() => new()
    {
        ClientId = $"apphost-test-{Interlocked.Increment(ref _clients)}",
        MetaServer = MetaServer,
        TlsCa = CaFile,
        OperationTimeout = TimeSpan.FromSeconds(30),
    };

    /// <summary>Restarts one resource (as the dashboard's restart button does) and waits until it is healthy again.</summary>
    public async Task RestartAsync(string resource, CancellationToken cancellationToken)
    {
        var commands = App.Services.GetRequiredService<ResourceCommandService>();
        var result = await commands.ExecuteCommandAsync(resource, KnownResourceCommands.RestartCommand, cancellationToken);
        Assert.True(result.Success, $"restart of {resource} failed: {result.Message}");
        try
        {
            // Waits through the states a restart passes (the old process exiting, the new one starting). The
            // default behaviour stops at a state it takes as final: twice in about eight CI runs it gave up
            // 3 s after the command with "failed to start" while the new process's output showed no failure.
            // A restart that never becomes healthy still fails here, when the start timeout ends.
            await App.ResourceNotifications.WaitForResourceHealthyAsync(resource, WaitBehavior.WaitOnResourceUnavailable, cancellationToken);
        }
        catch (Exception ex) when (ex is DistributedApplicationException or OperationCanceledException)
        {
            // Say why: the resource's own output is the only place its start-up error shows.
            throw new InvalidOperationException($"{ex.Message}{Environment.NewLine}{resource}'s output:{Environment.NewLine}{await LogsOfAsync(resource)}", ex);
        }
    }

    /// <summary>Waits until a line of <paramref name="resource"/>'s output contains <paramref name="text"/>, and returns it.</summary>
    public async Task<string> WaitForLogAsync(string resource, string text, CancellationToken cancellationToken)
    {
        await foreach (var batch in App.Services.GetRequiredService<ResourceLoggerService>().WatchAsync(Resource(resource)).WithCancellation(cancellationToken))
        {
            // LogLine is a struct: look for the text, not for a non-default line.
            if (batch.Select(line => line.Content).FirstOrDefault(content => content?.Contains(text, StringComparison.Ordinal) == true) is { } found)
            {
                return found;
            }
        }

        throw new InvalidOperationException($"{resource}'s output ended without '{text}'");
    }

    // By the resource itself, not its name: DCP names its instances with a suffix (demo-xxxxxxxx), and
    // the logs are kept under that name.
    private IResource Resource(string name) =>
        App.Services.GetRequiredService<DistributedApplicationModel>().Resources.Single(r => r.Name == name);

    private async Task<string> LogsOfAsync(string resource)
    {
        var lines = new List<string>();
        using var enough = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try
        {
            await foreach (var batch in App.Services.GetRequiredService<ResourceLoggerService>().WatchAsync(Resource(resource)).WithCancellation(enough.Token))
            {
                lines.AddRange(batch.Select(line => line.Content));
            }
        }
        catch (OperationCanceledException)
        {
            // The backlog has been read; the stream itself never ends.
        }

        return string.Join(Environment.NewLine, lines.TakeLast(60));
    }
}

[CollectionDefinition(Name)]
public sealed class AppHostCollection : ICollectionFixture<AppHostFixture>
{
    public const string Name = "apphost";
}
