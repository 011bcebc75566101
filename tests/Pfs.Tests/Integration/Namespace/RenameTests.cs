using Pfs.Client;
using Pfs.Tests.Fixtures;
using static Pfs.Tests.Integration.Namespace.DirectoryTests;

namespace Pfs.Tests.Integration.Namespace;

/// <summary>rename(2) through the client library: every row of the contract, and atomic to other clients.</summary>
[Collection(ClusterCollection.Name)]
public sealed class RenameTests(ClusterFixture fixture)
{
    [Fact]
    public async Task EveryRuleOfTheContractArrivesWithItsErrorCode()
    {
        await using var client = await fixture.Cluster.ConnectAsync();
        var d = fixture.UniqueName("rules");
        foreach (var dir in new[] { d, $"{d}/a", $"{d}/a/b", $"{d}/empty", $"{d}/full" })
        {
            await client.CreateDirectoryAsync(dir);
        }

        foreach (var file in new[] { $"{d}/f", $"{d}/g", $"{d}/full/x" })
        {
            await client.CreateAsync(file, 1);
        }

        var g = await client.StatAsync($"{d}/g");

        await AssertCode(PfsErrorCode.NotFound, () => client.RenameAsync($"{d}/missing", $"{d}/m"));
        await AssertCode(PfsErrorCode.NotFound, () => client.RenameAsync($"{d}/f", $"{d}/missing/f"));
        await AssertCode(PfsErrorCode.DirectoryNotEmpty, () => client.RenameAsync($"{d}/a", $"{d}/full"));
        await AssertCode(PfsErrorCode.IsADirectory, () => client.RenameAsync($"{d}/f", $"{d}/empty"));
        await AssertCode(PfsErrorCode.NotADirectory, () => client.RenameAsync($"{d}/a", $"{d}/f"));
        await AssertCode(PfsErrorCode.InvalidArgument, () => client.RenameAsync($"{d}/a", $"{d}/a/b/inside"));
        await AssertCode(PfsErrorCode.InvalidArgument, () => client.RenameAsync($"{d}/a", $"{d}/a/self"));

        await client.RenameAsync($"{d}/f", $"{d}/f");
        await client.RenameAsync($"{d}/f", $"{d}/g");
        await client.RenameAsync($"{d}/a", $"{d}/empty");

        var listed = await client.ListAsync(d).Select(entry => entry.Name).ToListAsync();
        Assert.Equal([$"{d}/empty", $"{d}/full", $"{d}/g"], listed.Order(StringComparer.Ordinal));
        Assert.NotEqual(g.Inode, (await client.StatAsync($"{d}/g")).Inode);
        Assert.Equal($"{d}/empty/b", Assert.Single(await client.ListAsync($"{d}/empty").ToListAsync()).Name);
    }

    [Fact]
    public async Task ATargetBeingReplacedAlwaysNamesTheOldFileOrTheNewOneToAConcurrentStatLoop()
    {
        await using var renamer = await fixture.Cluster.ConnectAsync();
        await using var watcher = await fixture.Cluster.ConnectAsync();
        var d = fixture.UniqueName("atomic");
        await renamer.CreateDirectoryAsync(d);
        await renamer.CreateAsync($"{d}/target", 1);
        var seen = new List<ulong> { (await renamer.StatAsync($"{d}/target")).Inode };

        using var stop = new CancellationTokenSource();
        var stats = 0;
        var loop = Task.Run(async () =>
        {
            var inodes = new HashSet<ulong>();
            while (!stop.IsCancellationRequested)
            {
                // NotFound here would be the gap rename(2) must never show.
                inodes.Add((await watcher.StatAsync($"{d}/target")).Inode);
                stats++;
            }

            return inodes;
        });
        for (var i = 0; i < 200; i++)
        {
            await renamer.CreateAsync($"{d}/next-{i}", 1);
            seen.Add((await renamer.StatAsync($"{d}/next-{i}")).Inode);
            await renamer.RenameAsync($"{d}/next-{i}", $"{d}/target");
        }

        await stop.CancelAsync();
        var observed = await loop.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(stats > 0);
        Assert.Subset(seen.ToHashSet(), observed);
        Assert.Equal(seen[^1], (await watcher.StatAsync($"{d}/target")).Inode);
        Assert.Equal([$"{d}/target"], await renamer.ListAsync(d).Select(entry => entry.Name).ToListAsync());
    }

    [Fact]
    public async Task AFileOpenAcrossARenameKeepsReadingAndWritingIt()
    {
        await using var client = await fixture.Cluster.ConnectAsync();
        await using var other = await fixture.Cluster.ConnectAsync();
        var d = fixture.UniqueName("open-rename");
        await client.CreateDirectoryAsync(d);
        await client.CreateDirectoryAsync($"{d}/x");
        await client.CreateAsync($"{d}/before", 3);
        var first = TestData.Bytes(10 * 512, seed: 1);
        var second = TestData.Bytes(6 * 512, seed: 2);

        await using (var file = await client.OpenAsync($"{d}/before", PfsOpenMode.Write))
        {
            await file.WriteAsync(first, 0);
            await other.RenameAsync($"{d}/before", $"{d}/x/after");
            await file.WriteAsync(second, first.Length);
            Assert.Equal(first, (await TestData.ReadAllAsync(file, first.Length + second.Length))[..first.Length]);
            Assert.Equal($"{d}/x/after", (await file.StatAsync()).Name);
        }

        await using var reader = await other.OpenAsync($"{d}/x/after", PfsOpenMode.Read);
        byte[] expected = [.. first, .. second];
        Assert.Equal(expected, await TestData.ReadAllAsync(reader, first.Length + second.Length));
        await AssertCode(PfsErrorCode.NotFound, () => other.StatAsync($"{d}/before"));
    }
}
