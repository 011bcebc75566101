using Pfs.Client;
using Pfs.LocalCluster;
using Pfs.Tests.Fixtures;

namespace Pfs.Tests.Integration.Namespace;

/// <summary>The namespace kept in Garnet survives a restart of the metadata server, entry for entry and attribute for attribute.</summary>
[Collection(GarnetCollection.Name)]
public sealed class NamespaceDurabilityTests(GarnetProcess garnet)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task EveryKindOfChangeSurvivesAMetaServerRestart()
    {
        await using var cluster = await PfsCluster.StartAsync(fileServers: 3, redis: garnet.ConnectionString).WaitAsync(Timeout);
        await using var client = await cluster.ConnectAsync(operationTimeout: Timeout);
        var d = $"durable-{Guid.NewGuid():N}";
        await client.CreateDirectoryAsync(d);
        await client.CreateDirectoryAsync($"{d}/a");
        await client.CreateDirectoryAsync($"{d}/a/deep");
        await client.CreateDirectoryAsync($"{d}/empty");
        await client.CreateAsync($"{d}/a/deep/f", new PfsCreateOptions { StripeWidth = 2, BlockSize = 4096, Mode = 0x180, Uid = 7, Gid = 8 });
        await client.CreateHardLinkAsync($"{d}/a/deep/f", $"{d}/hard");
        await client.CreateSymbolicLinkAsync($"{d}/sym", "a/deep/f");
        await client.CreateAsync($"{d}/gone", 1);
        await client.UnlinkAsync($"{d}/gone");
        await client.SetAttributesAsync($"{d}/empty", new PfsAttributeChanges { Mode = 0x1C0, Modified = DateTimeOffset.UnixEpoch.AddDays(1) });
        await client.RenameAsync($"{d}/a", $"{d}/empty/moved");
        var data = TestData.Bytes(5000, seed: 9);
        var rooted = $"{d}-data";
        await client.CreateAsync(rooted, 3);
        await using (var file = await client.OpenAsync(rooted, PfsOpenMode.Write))
        {
            await file.WriteAsync(data, 0);
        }

        var before = await TreeAsync(client, d);
        var rootedBefore = await client.StatAsync(rooted);

        await cluster.StopMetaServerAsync();
        await cluster.StartMetaServerAsync().WaitAsync(Timeout);

        var after = await TreeAsync(client, d).WaitAsync(Timeout);
        Assert.Equal(before.Select(entry => entry.Name), after.Select(entry => entry.Name));
        Assert.Equal(before, after);
        Assert.Equal(
            [$"{d}/empty", $"{d}/empty/moved", $"{d}/empty/moved/deep", $"{d}/empty/moved/deep/f", $"{d}/hard", $"{d}/sym"],
            after.Select(entry => entry.Name));
        Assert.Equal(2u, after.Single(entry => entry.Name == $"{d}/hard").LinkCount);
        Assert.Equal("a/deep/f", await client.ReadSymbolicLinkAsync($"{d}/sym"));
        Assert.Equal(rootedBefore, await client.StatAsync(rooted));
        await using var reader = await client.OpenAsync(rooted, PfsOpenMode.Read);
        Assert.Equal(data, await TestData.ReadAllAsync(reader, data.Length));
    }

    private static async Task<List<PfsFileInfo>> TreeAsync(PfsClient client, string directory)
    {
        var found = new List<PfsFileInfo>();
        await foreach (var entry in client.ListAsync(directory))
        {
            found.Add(entry);
            if (entry.Kind == PfsEntryKind.Directory)
            {
                found.AddRange(await TreeAsync(client, entry.Name));
            }
        }

        return [.. found.OrderBy(entry => entry.Name, StringComparer.Ordinal)];
    }
}
