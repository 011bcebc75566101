using Pfs.Client;

namespace Pfs.Tests.Fixtures;

/// <summary>
/// Base of the redundancy tests on real processes: each test gets a fresh cluster for 4+2 files (Garnet,
/// six file servers and the metadata server) in a temporary directory of its own, removed afterwards.
/// </summary>
public abstract class ErasureProcessTestBase(string directoryPrefix) : IAsyncLifetime
{
    protected const int K = 4;
    protected const int M = 2;
    protected const int Block = 64 * 1024;
    private readonly string _root = Directory.CreateTempSubdirectory(directoryPrefix).FullName;

    protected static TimeSpan Timeout { get; } = TimeSpan.FromSeconds(60);

    /// <summary>The K+M layout every file of these tests has.</summary>
    protected static PfsCreateOptions Layout => new() { StripeWidth = K, ParityBlocks = M, BlockSize = Block };

    protected ProcessCluster Cluster { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Cluster = await ProcessCluster.StartAsync(_root, [.. Enumerable.Range(0, K + M).Select(i => Path.Combine(_root, $"fs{i}"))]);
        await Cluster.StartMetaAsync();
    }

    public async Task DisposeAsync()
    {
        await Cluster.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    /// <summary>The whole of <paramref name="name"/>, read through a new client (nothing cached).</summary>
    protected async Task<byte[]> ReadAllAsync(string name, string clientId)
    {
        await using var client = await Cluster.ConnectAsync(clientId);
        await using var file = await client.OpenAsync(name, PfsOpenMode.Read).WaitAsync(Timeout);
        var size = (await file.StatAsync()).Size;
        return await TestData.ReadAllAsync(file, size).WaitAsync(Timeout);
    }
}
