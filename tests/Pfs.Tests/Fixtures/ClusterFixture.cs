using Pfs.LocalCluster;

namespace Pfs.Tests.Fixtures;

/// <summary>One in-process cluster (metadata server and 3 file servers) shared by a test collection; tests use their own file names.</summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    private int _names;

    public PfsCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync() => Cluster = await PfsCluster.StartAsync(fileServers: 3);

    public async Task DisposeAsync() => await Cluster.DisposeAsync();

    /// <summary>A file name no other test uses.</summary>
    public string UniqueName(string hint) => $"{hint}-{Interlocked.Increment(ref _names)}";
}

[CollectionDefinition(Name)]
public sealed class ClusterCollection : ICollectionFixture<ClusterFixture>
{
    public const string Name = "cluster";
}
