using System.Collections.Concurrent;
using System.Diagnostics;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Pfs.Client;
using Xunit.Abstractions;

namespace Pfs.AppHost.Tests;

/// <summary>The Aspire application as `dotnet run --project src/Pfs.AppHost` starts it.</summary>
[Collection(AppHostCollection.Name)]
public sealed class AppHostTests(AppHostFixture fixture, ITestOutputHelper output)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private static readonly ActivitySource TestSource = new("Pfs.AppHost.Tests");
    private static int _names;

    [Fact]
    public async Task EveryResourceTurnsHealthy()
    {
        foreach (var resource in AppHostFixture.Resources)
        {
            await fixture.App.ResourceNotifications.WaitForResourceHealthyAsync(resource).WaitAsync(Timeout);
        }

        output.WriteLine($"app started in {fixture.TimeToStarted.TotalSeconds:0.0} s, all resources healthy after {fixture.TimeToHealthy.TotalSeconds:0.0} s");
    }

    [Fact]
    public async Task StripedRoundTripThroughTheAppsEndpoints()
    {
        var name = UniqueName("round-trip");
        var data = Bytes(96 * 512, seed: 1);
        await using (var writer = await fixture.ConnectAsync().WaitAsync(Timeout))
        {
            await writer.CreateAsync(name, stripeWidth: 3).WaitAsync(Timeout);
            await using var file = await writer.OpenAsync(name, PfsOpenMode.Write).WaitAsync(Timeout);
            await file.WriteAsync(data, 0).AsTask().WaitAsync(Timeout);
        }

        await using var reader = await fixture.ConnectAsync().WaitAsync(Timeout);
        Assert.Equal(data, await ReadAllAsync(reader, name, data.Length));
        Assert.Equal(3, (await reader.StatAsync(name).WaitAsync(Timeout)).StripeWidth);
    }

    [Fact]
    public async Task AReadAcrossThreeServersHasAChildSpanPerServer()
    {
        var name = UniqueName("spans");
        var data = Bytes(30 * 512, seed: 2);
        await using var client = await fixture.ConnectAsync().WaitAsync(Timeout);
        await client.CreateAsync(name, stripeWidth: 3).WaitAsync(Timeout);
        await using (var file = await client.OpenAsync(name, PfsOpenMode.Write).WaitAsync(Timeout))
        {
            await file.WriteAsync(data, 0).AsTask().WaitAsync(Timeout);
        }

        var stopped = new ConcurrentBag<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is "Pfs.Client" or "Pfs.AppHost.Tests",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = stopped.Add,
        };
        ActivitySource.AddActivityListener(listener);

        // A cold client, so every block comes from the file servers.
        await using var reader = await fixture.ConnectAsync().WaitAsync(Timeout);
        ActivityTraceId traceId;
        using (var test = TestSource.StartActivity("test.striped-read"))
        {
            traceId = test!.TraceId;
            Assert.Equal(data, await ReadAllAsync(reader, name, data.Length));
        }

        var spans = stopped.Where(a => a.TraceId == traceId).ToList();
        var read = Assert.Single(spans, a => a.OperationName == "pfs.read");
        var calls = spans.Where(a => a.OperationName == "pfs.fileserver.read").ToList();
        Assert.All(calls, call => Assert.Equal(read.SpanId, call.ParentSpanId));
        Assert.Equal(["0", "1", "2"], calls.Select(c => c.GetTagItem("pfs.server.index")?.ToString()).Order());
        Assert.All(calls, call => Assert.Equal(10L * 512, Convert.ToInt64(call.GetTagItem("pfs.bytes"), System.Globalization.CultureInfo.InvariantCulture)));
        Assert.All(calls, call => Assert.NotNull(call.GetTagItem("pfs.block.first")));
        output.WriteLine(string.Join(Environment.NewLine, calls.Select(c =>
            $"server {c.GetTagItem("pfs.server.index")}: {c.StartTimeUtc:HH:mm:ss.fff} +{c.Duration.TotalMilliseconds:0.0} ms")));
    }

    [Fact]
    public async Task FilesSurviveARestartOfTheMetaServerResource()
    {
        var name = UniqueName("restart");
        var data = Bytes(12 * 512, seed: 3);
        await using var client = await fixture.ConnectAsync().WaitAsync(Timeout);
        await client.CreateAsync(name, stripeWidth: 3).WaitAsync(Timeout);
        await using (var file = await client.OpenAsync(name, PfsOpenMode.Write).WaitAsync(Timeout))
        {
            await file.WriteAsync(data, 0).AsTask().WaitAsync(Timeout);
        }

        var before = await client.StatAsync(name).WaitAsync(Timeout);

        var clock = Stopwatch.StartNew();
        using var timeout = new CancellationTokenSource(AppHostFixture.StartTimeout);
        await fixture.RestartAsync("metaserver", timeout.Token);
        output.WriteLine($"metaserver restarted and healthy in {clock.Elapsed.TotalSeconds:0.0} s");

        // A new client, and the old one whose Subscribe stream reconnects, both see the file as it was.
        await using var fresh = await fixture.ConnectAsync().WaitAsync(Timeout);
        Assert.Equal(before, await fresh.StatAsync(name).WaitAsync(Timeout));
        Assert.Equal(data, await ReadAllAsync(fresh, name, data.Length));
        Assert.Equal(data, await ReadAllAsync(client, name, data.Length));
    }

    [Fact]
    public async Task FilesSurviveARestartOfTheWholeApp()
    {
        var name = UniqueName("whole-app");
        var data = Bytes(33 * 512, seed: 4);
        PfsFileInfo before;
        await using (var client = await fixture.ConnectAsync().WaitAsync(Timeout))
        {
            await client.CreateAsync(name, stripeWidth: 3).WaitAsync(Timeout);
            await using (var file = await client.OpenAsync(name, PfsOpenMode.Write).WaitAsync(Timeout))
            {
                await file.WriteAsync(data, 0).AsTask().WaitAsync(Timeout);
            }

            before = await client.StatAsync(name).WaitAsync(Timeout);
        }

        var oldAddress = fixture.MetaServer;
        var clock = Stopwatch.StartNew();
        await fixture.RestartWholeAppAsync();
        output.WriteLine($"whole app stopped, started and healthy again in {clock.Elapsed.TotalSeconds:0.0} s " +
                         $"(metaserver {oldAddress} -> {fixture.MetaServer})");

        // Garnet replayed its append-only file; the file servers came back on new ports and the
        // files follow them by stripe position.
        await using var fresh = await fixture.ConnectAsync().WaitAsync(Timeout);
        Assert.Equal(before, await fresh.StatAsync(name).WaitAsync(Timeout));
        Assert.Equal(data, await ReadAllAsync(fresh, name, data.Length));
    }

    [Fact]
    public async Task TheRepairWorkerRunsAndAMirroredFileReadsWithAFileServerResourceStopped()
    {
        await fixture.App.ResourceNotifications.WaitForResourceAsync("repair", KnownResourceStates.Running).WaitAsync(Timeout);

        // A mirror: K = 1, M = 1, so two of the three file servers hold a copy each.
        var name = UniqueName("mirror");
        var data = Bytes(40 * 4096, seed: 5);
        await using (var writer = await fixture.ConnectAsync().WaitAsync(Timeout))
        {
            await writer.CreateAsync(name, new PfsCreateOptions { StripeWidth = 1, ParityBlocks = 1, BlockSize = 4096 }).WaitAsync(Timeout);
            await using var file = await writer.OpenAsync(name, PfsOpenMode.Write).WaitAsync(Timeout);
            await file.WriteAsync(data, 0).AsTask().WaitAsync(Timeout);
        }

        // The resource holding the first copy: the one whose endpoint is the stripe's first server.
        await using var reader = await fixture.ConnectAsync().WaitAsync(Timeout);
        var first = (await reader.GetLayoutAsync(name).WaitAsync(Timeout)).Servers[0];
        var resource = Enumerable.Range(0, 3).Select(i => $"fileserver-{i}")
            .Single(r => first.EndsWith($":{fixture.Endpoint(r).Port}", StringComparison.Ordinal));
        var commands = fixture.App.Services.GetRequiredService<ResourceCommandService>();
        using var timeout = new CancellationTokenSource(AppHostFixture.StartTimeout);
        Assert.True((await commands.ExecuteCommandAsync(resource, KnownResourceCommands.StopCommand, timeout.Token)).Success, $"stop of {resource}");
        try
        {
            await fixture.App.ResourceNotifications.WaitForResourceAsync(resource, KnownResourceStates.TerminalStates, timeout.Token);

            Assert.Equal(data, await ReadAllAsync(reader, name, data.Length));
        }
        finally
        {
            // The other tests stripe over every server.
            using var restart = new CancellationTokenSource(AppHostFixture.StartTimeout);
            Assert.True((await commands.ExecuteCommandAsync(resource, KnownResourceCommands.StartCommand, restart.Token)).Success, $"start of {resource}");
            await fixture.App.ResourceNotifications.WaitForResourceHealthyAsync(resource, restart.Token);
        }

        output.WriteLine($"read {data.Length} bytes of a 1+1 mirror with {resource} ({first}) stopped");
    }

    private static async Task<byte[]> ReadAllAsync(PfsClient client, string name, int length)
    {
        await using var file = await client.OpenAsync(name, PfsOpenMode.Read).WaitAsync(Timeout);
        var buffer = new byte[length];
        Assert.Equal(length, await file.ReadAsync(buffer, 0).AsTask().WaitAsync(Timeout));
        return buffer;
    }

    private static string UniqueName(string hint) => $"{hint}-{Interlocked.Increment(ref _names)}-{Guid.NewGuid().ToString("N")[..8]}";

    private static byte[] Bytes(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }
}
