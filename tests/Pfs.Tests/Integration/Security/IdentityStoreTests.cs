using Google.Protobuf;
using Pfs.Client;
using Pfs.LocalCluster;
using Pfs.MetaServer.Security;
using Pfs.Protocol.Security;
using Pfs.Tests.Fixtures;
using Pfs.Tests.Integration.Cli;
using StackExchange.Redis;

namespace Pfs.Tests.Integration.Security;

/// <summary>Identities kept in Redis (Garnet): verifiers only, and they outlive the metadata server.</summary>
public sealed class IdentityStoreTests(GarnetProcess garnet) : IClassFixture<GarnetProcess>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task TheRedisStoreKeepsEachNameOnceAndForgetsRevokedOnes()
    {
        // Arrange
        await using var redis = await ConnectionMultiplexer.ConnectAsync(garnet.ConnectionString).WaitAsync(Timeout);
        var store = new RedisIdentityStore(redis, $"test-{Guid.NewGuid():N}:");
        using var key = ClientKey.Create("carol");
        var identity = new Identity { Name = "carol", Scope = "/c", Serial = 7, PublicKey = ByteString.CopyFrom(key.PublicKey) };

        // Act
        var added = await store.AddAsync(identity, default);
        var again = await store.AddAsync(identity, default);
        var loaded = await store.LoadAsync(default);
        var removed = await store.RemoveAsync("carol", default);
        var after = await store.LoadAsync(default);

        // Assert
        Assert.True(added);
        Assert.False(again);
        Assert.Equal(identity, Assert.Single(loaded));
        Assert.True(removed);
        Assert.Empty(after);
    }

    [Fact]
    public async Task IdentitiesSurviveARestartOfTheMetadataServerAndNoKeyIsStored()
    {
        // Arrange: a durable cluster with one identity
        await using var cluster = await PfsCluster.StartAsync(fileServers: 1, redis: garnet.ConnectionString);
        var keyFile = Path.Combine(cluster.DataRoot, "cluster.key");
        await File.WriteAllTextAsync(keyFile, cluster.ClusterKey);
        SecureClusterFixture.Chmod(keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        var add = await CliRunner.RunAsync(cluster, "admin", "--cluster-key-file", keyFile, "add", "durable", "--scope", "/");
        Assert.True(add.ExitCode == 0, add.ToString());
        var key = add.Stdout.Trim();

        // Act
        await cluster.StopMetaServerAsync();
        await cluster.StartMetaServerAsync();

        // Assert: the key still works, no key is still refused, and the store holds no private key
        await using (var client = await PfsClient.ConnectAsync(new PfsClientOptions { ClientId = "durable", MetaServer = cluster.MetaServerAddress, Key = key }))
        {
            await client.CreateDirectoryAsync("durable-dir");
        }

        var denied = await Assert.ThrowsAsync<PfsException>(() => cluster.ConnectAsync());
        Assert.Equal(PfsErrorCode.PermissionDenied, denied.Code);
        await using var redis = await ConnectionMultiplexer.ConnectAsync(garnet.ConnectionString).WaitAsync(Timeout);
        var stored = (byte[])(await redis.GetDatabase().HashGetAsync("pfs:identities", "durable"))!;
        Assert.True(ClientKey.TryParse(key, out var parsed, out _));
        Assert.Equal(parsed!.PublicKey, Identity.Parser.ParseFrom(stored).PublicKey.ToByteArray());
        Assert.True(stored.AsSpan().IndexOf(Convert.FromBase64String(PadBase64(key.Split('.')[2]))) < 0);
        parsed.Dispose();
    }

    private static string PadBase64(string base64Url)
    {
        var standard = base64Url.Replace('-', '+').Replace('_', '/');
        return standard + new string('=', (4 - (standard.Length % 4)) % 4);
    }
}
