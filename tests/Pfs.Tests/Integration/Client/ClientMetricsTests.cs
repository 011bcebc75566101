using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Pfs.Client;
using Pfs.Client.Diagnostics;
using Pfs.Tests.Fixtures;

namespace Pfs.Tests.Integration.Client;

/// <summary>The client's meter, as an OpenTelemetry exporter would read it.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ClientMetricsTests(ClusterFixture fixture)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task ReadsAndOpensAreMeasuredPerServerAndPerClient()
    {
        var name = fixture.UniqueName("metrics");
        var data = TestData.Bytes(30 * 512, seed: 7);
        await using var writer = await fixture.Cluster.ConnectAsync();
        await writer.CreateAsync(name, stripeWidth: 3).WaitAsync(Timeout);
        await using (var file = await writer.OpenAsync(name, PfsOpenMode.Write).WaitAsync(Timeout))
        {
            await file.WriteAsync(data, 0);
        }

        var measurements = new ConcurrentBag<(string Instrument, long Value, Dictionary<string, object?> Tags)>();
        var histogram = new ConcurrentBag<double>();
        using var listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == PfsMetrics.MeterName)
                {
                    l.EnableMeasurementEvents(instrument);
                }
            },
        };
        listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            measurements.Add((instrument.Name, value, tags.ToArray().ToDictionary(t => t.Key, t => t.Value))));
        listener.SetMeasurementEventCallback<double>((instrument, value, _, _) => histogram.Add(value));
        listener.Start();

        await using var reader = await fixture.Cluster.ConnectAsync(clientId: fixture.UniqueName("metered"));
        await using (var file = await reader.OpenAsync(name, PfsOpenMode.Read).WaitAsync(Timeout))
        {
            await TestData.ReadAllAsync(file, data.Length);
            await file.ReadAsync(new byte[512], 0);
            listener.RecordObservableInstruments();
        }

        // The listener hears every test of this process: keep to this cluster's servers and this client.
        var servers = fixture.Cluster.FileServerAddresses.Select(a => a.ToString().TrimEnd('/')).ToHashSet();
        var bytes = measurements.Where(m => m.Instrument == "pfs.client.fileserver.bytes"
            && (string?)m.Tags["pfs.io.direction"] == "read" && servers.Contains((string)m.Tags["pfs.server.address"]!)).ToList();
        Assert.Equal([0, 1, 2], bytes.Select(m => (int)m.Tags["pfs.server.index"]!).Distinct().Order());
        Assert.Equal(data.Length, bytes.Sum(m => m.Value));
        Assert.NotEmpty(histogram);

        var mine = measurements.Where(m => m.Tags.TryGetValue("pfs.client.id", out var id) && (string?)id == reader.Options.ClientId).ToList();
        Assert.Equal(30, mine.Where(m => m.Instrument == "pfs.client.cache.misses").Sum(m => m.Value));
        Assert.Equal(1, mine.Single(m => m.Instrument == "pfs.client.cache.hits" && (string?)m.Tags["pfs.cache.access"] == "read").Value);
        Assert.Equal(1, mine.Single(m => m.Instrument == "pfs.client.open_files").Value);
    }
}
