using Microsoft.Extensions.Configuration;
using Pfs.Client;
using Pfs.LocalCluster;
using Pfs.Tests.Integration.Cli;

namespace Pfs.Tests.Integration.Security;

/// <summary>
/// A cluster of its own (identities are cluster-wide, so no other test may share it), its cluster
/// key in a private file for <c>pfs admin</c>, and failed authentication barely slowed down.
/// </summary>
public sealed class SecureClusterFixture : IAsyncLifetime
{
    private static readonly string[] ReadOnlyFlag = ["--read-only"];

    private int _names;
    private int _clients;

    public PfsCluster Cluster { get; private set; } = null!;

    public string ClusterKeyFile { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Cluster = await PfsCluster.StartAsync(fileServers: 2, configureMeta: builder =>
            builder.Configuration.AddInMemoryCollection([new("Pfs:FailureDelaySeconds", "0.01"), .. Settings]));
        ClusterKeyFile = Path.Combine(Cluster.DataRoot, "cluster.key");
        File.WriteAllText(ClusterKeyFile, Cluster.ClusterKey);
        Chmod(ClusterKeyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
    }

    internal static void Chmod(string path, UnixFileMode mode)
    {
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, mode);
        }
    }

    public async Task DisposeAsync() => await Cluster.DisposeAsync();

    /// <summary>More metadata-server settings, for a derived fixture.</summary>
    internal IEnumerable<KeyValuePair<string, string?>> Settings { get; init; } = [];

    public string UniqueName(string hint) => $"{hint}{Interlocked.Increment(ref _names)}";

    /// <summary>Runs <c>pfs --meta (cluster) admin --cluster-key-file (file) args...</c>.</summary>
    internal Task<CliResult> AdminAsync(params string[] args) =>
        CliRunner.RunAsync(Cluster, ["admin", "--cluster-key-file", ClusterKeyFile, .. args]);

    /// <summary>A new identity's key.</summary>
    public async Task<string> AddIdentityAsync(string name, string scope = "/", bool readOnly = false)
    {
        var result = await AdminAsync(["add", name, "--scope", scope, .. readOnly ? ReadOnlyFlag : []]);
        Assert.True(result.ExitCode == 0, result.ToString());
        return result.Stdout.Trim();
    }

    public Task<PfsClient> ConnectAsync(string? key) =>
        PfsClient.ConnectAsync(new PfsClientOptions
        {
            ClientId = $"secure-{Interlocked.Increment(ref _clients)}",
            MetaServer = Cluster.MetaServerAddress,
            OperationTimeout = TimeSpan.FromSeconds(20),
            Key = key,
        });
}

[CollectionDefinition(Name)]
public sealed class SecureClusterCollection : ICollectionFixture<SecureClusterFixture>
{
    public const string Name = "secure-cluster";
}
