using Pfs.Client;
using Pfs.Tests.Fixtures;
using static Pfs.Tests.Integration.Namespace.DirectoryTests;

namespace Pfs.Tests.Integration.Namespace;

/// <summary>Hard links, symbolic links and attributes through the client library.</summary>
[Collection(ClusterCollection.Name)]
public sealed class LinkAndAttributeTests(ClusterFixture fixture)
{
    [Fact]
    public async Task HardLinksNameOneFileAndCountItsNames()
    {
        await using var client = await fixture.Cluster.ConnectAsync();
        var d = fixture.UniqueName("hard");
        await client.CreateDirectoryAsync(d);
        await client.CreateDirectoryAsync($"{d}/sub");
        await client.CreateAsync($"{d}/f", 2);
        var data = TestData.Bytes(3000, seed: 5);
        await using (var file = await client.OpenAsync($"{d}/f", PfsOpenMode.Write))
        {
            await file.WriteAsync(data, 0);
        }

        await client.CreateHardLinkAsync($"{d}/f", $"{d}/sub/g");

        var (f, g) = (await client.StatAsync($"{d}/f"), await client.StatAsync($"{d}/sub/g"));
        Assert.Equal((f.Inode, 2u, 2u, data.Length, data.Length), (g.Inode, f.LinkCount, g.LinkCount, (int)f.Size, (int)g.Size));
        await AssertCode(PfsErrorCode.IsADirectory, () => client.CreateHardLinkAsync($"{d}/sub", $"{d}/sub2"));
        await AssertCode(PfsErrorCode.AlreadyExists, () => client.CreateHardLinkAsync($"{d}/f", $"{d}/sub/g"));

        await client.UnlinkAsync($"{d}/f");
        Assert.Equal(1u, (await client.StatAsync($"{d}/sub/g")).LinkCount);
        await using var reader = await client.OpenAsync($"{d}/sub/g", PfsOpenMode.Read);
        Assert.Equal(data, await TestData.ReadAllAsync(reader, data.Length));
    }

    [Fact]
    public async Task ASymbolicLinkKeepsItsTargetAndTheServerNeverFollowsIt()
    {
        await using var client = await fixture.Cluster.ConnectAsync();
        var d = fixture.UniqueName("symlink");
        await client.CreateDirectoryAsync(d);
        await client.CreateDirectoryAsync($"{d}/real");
        await client.CreateAsync($"{d}/real/f", 1);

        await client.CreateSymbolicLinkAsync($"{d}/link", "real");
        await client.CreateSymbolicLinkAsync($"{d}/dangling", "../nowhere/at all");

        var link = await client.StatAsync($"{d}/link");
        Assert.Equal((PfsEntryKind.SymbolicLink, "real", 4L, 1u), (link.Kind, link.Target, link.Size, link.LinkCount));
        Assert.Equal("../nowhere/at all", await client.ReadSymbolicLinkAsync($"{d}/dangling"));
        await AssertCode(PfsErrorCode.InvalidArgument, () => client.ReadSymbolicLinkAsync($"{d}/real"));
        await AssertCode(PfsErrorCode.NotADirectory, () => client.StatAsync($"{d}/link/f"));
        await AssertCode(PfsErrorCode.NotADirectory, () => client.ListAsync($"{d}/link").ToListAsync().AsTask());
        await AssertCode(PfsErrorCode.InvalidArgument, () => client.OpenAsync($"{d}/link", PfsOpenMode.Read));
        await AssertCode(PfsErrorCode.AlreadyExists, () => client.CreateSymbolicLinkAsync($"{d}/link", "other"));
        await client.DeleteAsync($"{d}/dangling");
        await client.UnlinkAsync($"{d}/link");
        Assert.Equal([$"{d}/real"], await client.ListAsync(d).Select(entry => entry.Name).ToListAsync());
    }

    [Fact]
    public async Task AttributesAreSetAndReadBackAndCtimeMoves()
    {
        await using var client = await fixture.Cluster.ConnectAsync();
        var name = fixture.UniqueName("attributes");
        await client.CreateAsync(name, 1);
        var created = await client.StatAsync(name);
        var atime = new DateTimeOffset(2001, 2, 3, 4, 5, 6, 789, TimeSpan.Zero);
        var mtime = new DateTimeOffset(2002, 3, 4, 5, 6, 7, 890, TimeSpan.Zero);

        var set = await client.SetAttributesAsync(name, new PfsAttributeChanges { Mode = 0x1C0, Uid = 1000, Gid = 100, Accessed = atime, Modified = mtime });
        var read = await client.StatAsync(name);
        var now = await client.SetAttributesAsync(name, new PfsAttributeChanges { ModifiedNow = true, AccessedNow = true });

        Assert.Equal(set, read);
        Assert.Equal((0x1C0u, 1000u, 100u, atime, mtime), (read.Mode, read.Uid, read.Gid, read.Accessed, read.Modified));
        Assert.True(read.Changed >= created.Changed);
        Assert.Equal(created.Created, read.Created);
        Assert.True(now.Modified > mtime && now.Accessed > atime);
        Assert.Equal((0x1C0u, 1000u), (now.Mode, now.Uid));
        await AssertCode(PfsErrorCode.NotFound, () => client.SetAttributesAsync(name + "-missing", new PfsAttributeChanges { Mode = 0 }));
    }

    [Fact]
    public async Task AWritersCloseMovesMtimeCtimeAndAtimeTogether()
    {
        await using var client = await fixture.Cluster.ConnectAsync();
        var name = fixture.UniqueName("times");
        await client.CreateAsync(name, 1);
        await client.SetAttributesAsync(name, new PfsAttributeChanges { Accessed = DateTimeOffset.UnixEpoch, Modified = DateTimeOffset.UnixEpoch });

        await using (var file = await client.OpenAsync(name, PfsOpenMode.Write))
        {
            await file.WriteAsync(new byte[10], 0);
        }

        var stat = await client.StatAsync(name);
        Assert.True(stat.Modified > DateTimeOffset.UnixEpoch);
        Assert.Equal((stat.Modified, stat.Modified), (stat.Changed, stat.Accessed));
    }

    [Fact]
    public async Task AWriteOrANewEntryMovesMtimeToNowEvenFromATimeSetIntoTheFuture()
    {
        await using var client = await fixture.Cluster.ConnectAsync();
        var directory = fixture.UniqueName("future");
        await client.CreateDirectoryAsync(directory);
        var name = $"{directory}/file";
        await client.CreateAsync(name, 1);
        var future = new DateTimeOffset(2100, 1, 1, 0, 0, 0, TimeSpan.Zero);
        await client.SetAttributesAsync(name, new PfsAttributeChanges { Modified = future });
        await client.SetAttributesAsync(directory, new PfsAttributeChanges { Modified = future });
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);

        await using (var file = await client.OpenAsync(name, PfsOpenMode.Write))
        {
            await file.WriteAsync(new byte[10], 0);
        }

        await client.CreateAsync($"{directory}/second", 1);
        var after = DateTimeOffset.UtcNow.AddSeconds(1);
        var fileStat = await client.StatAsync(name);
        var directoryStat = await client.StatAsync(directory);
        Assert.InRange(fileStat.Modified, before, after);
        Assert.InRange(directoryStat.Modified, before, after);
    }
}
