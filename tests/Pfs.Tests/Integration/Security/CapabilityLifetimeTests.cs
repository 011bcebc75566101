using Grpc.Core;
using Microsoft.Extensions.Configuration;
using Pfs.Client;
using Pfs.LocalCluster;
using Pfs.Protocol.FileServer;
using Pfs.Protocol.Transport;

namespace Pfs.Tests.Integration.Security;

/// <summary>A cluster whose capabilities live two seconds, so expiry can be watched.</summary>
public sealed class ShortCapabilityFixture : IAsyncLifetime
{
    public static readonly TimeSpan Lifetime = TimeSpan.FromSeconds(2);

    private int _names;

    public PfsCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() => Cluster = await PfsCluster.StartAsync(fileServers: 2, configureMeta: builder =>
        builder.Configuration.AddInMemoryCollection([new("Pfs:CapabilitySeconds", Lifetime.TotalSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture))]));

    public async Task DisposeAsync() => await Cluster.DisposeAsync();

    public string UniqueName(string hint) => $"{hint}-{Interlocked.Increment(ref _names)}";
}

/// <summary>Capabilities expire: a leaked one stops working, while an open file keeps working through renewals.</summary>
public sealed class CapabilityLifetimeTests(ShortCapabilityFixture fixture) : IClassFixture<ShortCapabilityFixture>
{
    private static readonly byte[] Bytes = "capability"u8.ToArray();

    /// <summary>Waits until <paramref name="capability"/> has expired by this machine's clock (the file servers').</summary>
    private static Task PastExpiryAsync(Capability capability)
    {
        var left = DateTimeOffset.FromUnixTimeMilliseconds(capability.ExpiresUnixMs) - DateTimeOffset.UtcNow;
        Assert.True(left < ShortCapabilityFixture.Lifetime + TimeSpan.FromSeconds(1), $"expires in {left}");
        return Task.Delay(left > TimeSpan.Zero ? left + TimeSpan.FromMilliseconds(100) : TimeSpan.Zero);
    }

    private async Task<string> WrittenFileAsync(PfsClient client)
    {
        var name = fixture.UniqueName("cap");
        await client.CreateAsync(name, 1);
        await using var file = await client.OpenAsync(name, PfsOpenMode.Write);
        await file.WriteAsync(Bytes, 0);
        return name;
    }

    [Fact]
    public async Task ALeakedCapabilityStopsWorkingAfterItsLifetime()
    {
        // Arrange: a reader's capability, as it would be seen on the wire
        await using var client = await fixture.Cluster.ConnectAsync();
        var name = await WrittenFileAsync(client);
        Capability leaked;
        ObjectId id;
        await using (var file = await client.OpenAsync(name, PfsOpenMode.Read))
        {
            leaked = file.Layout.Capability!;
            id = file.Layout.ObjectId;
        }

        using var channel = PfsChannel.Create(fixture.Cluster.FileServerAddresses[0], new PfsChannelOptions());
        var server = new FileService.FileServiceClient(channel);
        var request = new ReadBytesRequest { Object = id, Capability = leaked, Ranges = { new ByteRange { Length = Bytes.Length } } };
        var before = await server.ReadBytesAsync(request);

        // Act
        await PastExpiryAsync(leaked);
        var after = await Assert.ThrowsAsync<RpcException>(async () => await server.ReadBytesAsync(request));

        // Assert
        Assert.Equal(Bytes, before.Data[0].ToByteArray());
        Assert.Equal(StatusCode.PermissionDenied, after.StatusCode);
    }

    [Fact]
    public async Task AFileOpenFarLongerThanTheLifetimeKeepsWorking()
    {
        // Arrange
        await using var client = await fixture.Cluster.ConnectAsync();
        var name = await WrittenFileAsync(client);
        await using var file = await client.OpenAsync(name, PfsOpenMode.Write);
        var first = file.Layout.Capability!;

        // Act: write after the first capability (and a second lifetime) have passed
        await PastExpiryAsync(first);
        await Task.Delay(ShortCapabilityFixture.Lifetime);
        await file.WriteAsync(Bytes, Bytes.Length);
        await file.CloseAsync();

        // Assert
        Assert.NotSame(first, file.Layout.Capability);
        Assert.True(file.Layout.Capability!.ExpiresUnixMs > first.ExpiresUnixMs);
        await using var reader = await client.OpenAsync(name, PfsOpenMode.Read);
        var buffer = new byte[2 * Bytes.Length];
        Assert.Equal(buffer.Length, await reader.ReadAsync(buffer, 0));
        Assert.Equal([.. Bytes, .. Bytes], buffer);
    }

    [Fact]
    public async Task ACapabilityLivesAsLongAsConfigured()
    {
        await using var client = await fixture.Cluster.ConnectAsync();
        var name = await WrittenFileAsync(client);
        var asked = DateTimeOffset.UtcNow;

        await using var file = await client.OpenAsync(name, PfsOpenMode.Read);

        var expires = DateTimeOffset.FromUnixTimeMilliseconds(file.Layout.Capability!.ExpiresUnixMs);
        Assert.InRange(expires - asked, ShortCapabilityFixture.Lifetime - TimeSpan.FromMilliseconds(50), ShortCapabilityFixture.Lifetime + TimeSpan.FromSeconds(1));
    }
}
