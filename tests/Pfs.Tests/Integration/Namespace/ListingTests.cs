using Grpc.Net.Client;
using Pfs.Client;
using Pfs.Protocol.Meta;
using Pfs.Tests.Fixtures;

namespace Pfs.Tests.Integration.Namespace;

/// <summary>Listing a large directory in pages, through the client and over the wire.</summary>
[Collection(ClusterCollection.Name)]
public sealed class ListingTests(ClusterFixture fixture)
{
    private const int Entries = 20_000;

    [Fact]
    public async Task ALargeDirectoryListsEveryEntryExactlyOnceInPagesWhileItChanges()
    {
        await using var client = await fixture.Cluster.ConnectAsync();
        var dir = fixture.UniqueName("large");
        await client.CreateDirectoryAsync(dir);
        var names = Enumerable.Range(0, Entries).Select(i => $"entry-{i:x5}").ToList();
        await Parallel.ForEachAsync(names, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (name, ct) =>
        {
            if (name.EndsWith('0'))
            {
                await client.CreateDirectoryAsync($"{dir}/{name}", ct);
            }
            else
            {
                await client.CreateAsync($"{dir}/{name}", 1, ct);
            }
        });

        // Entries added and removed while the listing runs: each may or may not appear, the rest exactly once.
        using var stop = new CancellationTokenSource();
        var churn = Task.Run(async () =>
        {
            for (var i = 0; !stop.IsCancellationRequested; i++)
            {
                await client.CreateAsync($"{dir}/churn-{i}", 1);
                await client.DeleteAsync($"{dir}/churn-{i}");
            }
        });
        var listed = new List<PfsFileInfo>();
        await foreach (var entry in client.ListAsync(dir))
        {
            listed.Add(entry);
        }

        await stop.CancelAsync();
        await churn.WaitAsync(TimeSpan.FromSeconds(30));
        var stable = listed.Where(entry => !entry.Name.StartsWith(dir + "/churn-", StringComparison.Ordinal)).ToList();
        Assert.Equal(names.Select(name => $"{dir}/{name}"), stable.Select(entry => entry.Name).Order(StringComparer.Ordinal));
        Assert.Equal(listed.Count, listed.Select(entry => entry.Name).Distinct().Count());
        Assert.Equal(Entries / 16, stable.Count(entry => entry.Kind == PfsEntryKind.Directory));
        Assert.All(stable.Where(entry => entry.Kind == PfsEntryKind.File), entry => Assert.Equal(1u, entry.LinkCount));
    }

    [Fact]
    public async Task APageOverTheWireIsBoundedAndItsCursorIsTheLastName()
    {
        await using var client = await fixture.Cluster.ConnectAsync();
        // Full paths of about 3.3 KB each, so a page is bounded by its bytes before its entry count.
        var dir = fixture.UniqueName("pages");
        await client.CreateDirectoryAsync(dir);
        foreach (var level in "abcdefghijk")
        {
            dir += "/" + new string(level, 250);
            await client.CreateDirectoryAsync(dir);
        }

        var names = Enumerable.Range(0, 1500).Select(i => $"{i:d4}{new string('n', 250)}").ToList();
        await Parallel.ForEachAsync(names, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (name, ct) => await client.CreateDirectoryAsync($"{dir}/{name}", ct));
        using var channel = GrpcChannel.ForAddress(fixture.Cluster.MetaServerAddress);
        var meta = new MetaService.MetaServiceClient(channel);

        var first = await meta.ListDirectoryAsync(new ListDirectoryRequest { Path = dir, Limit = 5000 });
        var next = await meta.ListDirectoryAsync(new ListDirectoryRequest { Path = dir, After = names[first.Entries.Count - 1] });
        var last = await meta.ListDirectoryAsync(new ListDirectoryRequest { Path = dir, After = names[^3] });

        Assert.True(first.More);
        Assert.InRange(first.Entries.Count, 100, 999);
        Assert.InRange(first.CalculateSize(), 1, (1024 * 1024) + 64 * 1024);
        Assert.Equal(names.Take(first.Entries.Count).Select(name => $"{dir}/{name}"), first.Entries.Select(entry => entry.Name));
        Assert.Equal($"{dir}/{names[first.Entries.Count]}", next.Entries[0].Name);
        Assert.False(last.More);
        Assert.Equal(names.TakeLast(2).Select(name => $"{dir}/{name}"), last.Entries.Select(entry => entry.Name));
    }
}
