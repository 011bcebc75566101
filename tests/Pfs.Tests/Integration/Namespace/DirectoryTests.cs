using Pfs.Client;
using Pfs.Tests.Fixtures;

namespace Pfs.Tests.Integration.Namespace;

/// <summary>Paths and directories through the client library, against a real cluster.</summary>
[Collection(ClusterCollection.Name)]
public sealed class DirectoryTests(ClusterFixture fixture)
{
    public static TheoryData<string> BadPaths => new()
    {
        "a//b",
        "a/",
        "//a",
        "./a",
        "a/../b",
        "a\\b",
        "a\0b",
        new string('x', 256),
        string.Join('/', Enumerable.Repeat(new string('d', 250), 17)),
    };

    [Theory]
    [MemberData(nameof(BadPaths))]
    public async Task EveryCallRefusesABadPath(string path)
    {
        await using var client = await fixture.Cluster.ConnectAsync();
        var dir = fixture.UniqueName("bad-paths");
        await client.CreateDirectoryAsync(dir);

        await AssertCode(PfsErrorCode.InvalidArgument, () => client.CreateAsync(path, 1));
        await AssertCode(PfsErrorCode.InvalidArgument, () => client.CreateAsync(path, new PfsCreateOptions { StripeWidth = 1 }));
        await AssertCode(PfsErrorCode.InvalidArgument, () => client.CreateDirectoryAsync(path));
        await AssertCode(PfsErrorCode.InvalidArgument, () => client.DeleteDirectoryAsync(path));
        await AssertCode(PfsErrorCode.InvalidArgument, () => client.OpenAsync(path, PfsOpenMode.Read));
        await AssertCode(PfsErrorCode.InvalidArgument, () => client.DeleteAsync(path));
        await AssertCode(PfsErrorCode.InvalidArgument, () => client.UnlinkAsync(path));
        await AssertCode(PfsErrorCode.InvalidArgument, () => client.StatAsync(path));
        await AssertCode(PfsErrorCode.InvalidArgument, () => client.RenameAsync(dir, path));
        await AssertCode(PfsErrorCode.InvalidArgument, () => client.RenameAsync(path, dir + "-x"));
        await AssertCode(PfsErrorCode.InvalidArgument, () => client.CreateSymbolicLinkAsync(path, "t"));
        await AssertCode(PfsErrorCode.InvalidArgument, () => client.CreateHardLinkAsync(dir, path));
        await AssertCode(PfsErrorCode.InvalidArgument, () => client.SetAttributesAsync(path, new PfsAttributeChanges { Mode = 0x1FF }));
        await AssertCode(PfsErrorCode.InvalidArgument, () => client.ListAsync(path).ToListAsync().AsTask());
    }

    [Fact]
    public async Task ALeadingSlashChangesNothingAndNamesAreFullPaths()
    {
        await using var client = await fixture.Cluster.ConnectAsync();
        var dir = fixture.UniqueName("slash");

        await client.CreateDirectoryAsync("/" + dir);
        await client.CreateDirectoryAsync(dir + "/sub");
        await client.CreateAsync("/" + dir + "/sub/f.txt", 2);

        var file = await client.StatAsync(dir + "/sub/f.txt");
        Assert.Equal((dir + "/sub/f.txt", PfsEntryKind.File, 2), (file.Name, file.Kind, file.StripeWidth));
        Assert.Equal(file, await client.StatAsync("/" + dir + "/sub/f.txt"));
        Assert.Equal([dir + "/sub/f.txt"], (await client.ListAsync(dir + "/sub").ToListAsync()).Select(e => e.Name));
        Assert.Equal([dir + "/sub"], (await client.ListAsync("/" + dir).ToListAsync()).Select(e => e.Name));
    }

    [Fact]
    public async Task CreatingNeedsTheParentDirectory()
    {
        await using var client = await fixture.Cluster.ConnectAsync();
        var dir = fixture.UniqueName("parents");
        await client.CreateDirectoryAsync(dir);
        await client.CreateAsync(dir + "/file", 1);

        await AssertCode(PfsErrorCode.NotFound, () => client.CreateAsync(dir + "/missing/f", 1));
        await AssertCode(PfsErrorCode.NotFound, () => client.CreateDirectoryAsync(dir + "/missing/d"));
        await AssertCode(PfsErrorCode.NotADirectory, () => client.CreateAsync(dir + "/file/f", 1));
        await AssertCode(PfsErrorCode.NotADirectory, () => client.CreateDirectoryAsync(dir + "/file/d"));
        await AssertCode(PfsErrorCode.NotADirectory, () => client.StatAsync(dir + "/file/x"));
        await AssertCode(PfsErrorCode.AlreadyExists, () => client.CreateDirectoryAsync(dir + "/file"));
        await AssertCode(PfsErrorCode.AlreadyExists, () => client.CreateAsync(dir, 1));
    }

    [Fact]
    public async Task ADirectoryIsStatedCountedAndRemovedOnlyWhenEmpty()
    {
        await using var client = await fixture.Cluster.ConnectAsync();
        var dir = fixture.UniqueName("rmdir");
        await client.CreateDirectoryAsync(dir);
        await client.CreateDirectoryAsync(dir + "/a");
        await client.CreateDirectoryAsync(dir + "/b");
        await client.CreateAsync(dir + "/f", 1);

        var stat = await client.StatAsync(dir);
        Assert.Equal((PfsEntryKind.Directory, 3L, 4u, 0x1EDu), (stat.Kind, stat.Size, stat.LinkCount, stat.Mode));
        Assert.True(stat.Inode > 1);
        await AssertCode(PfsErrorCode.DirectoryNotEmpty, () => client.DeleteDirectoryAsync(dir));
        await AssertCode(PfsErrorCode.NotADirectory, () => client.DeleteDirectoryAsync(dir + "/f"));
        await AssertCode(PfsErrorCode.NotFound, () => client.DeleteDirectoryAsync(dir + "/gone"));
        await AssertCode(PfsErrorCode.IsADirectory, () => client.OpenAsync(dir + "/a", PfsOpenMode.Read));
        await AssertCode(PfsErrorCode.IsADirectory, () => client.DeleteAsync(dir + "/a"));
        await AssertCode(PfsErrorCode.IsADirectory, () => client.UnlinkAsync(dir + "/a"));

        await client.DeleteDirectoryAsync(dir + "/a");
        await client.DeleteAsync(dir + "/f");
        await client.DeleteDirectoryAsync(dir + "/b");
        await client.DeleteDirectoryAsync(dir);
        await AssertCode(PfsErrorCode.NotFound, () => client.StatAsync(dir));
    }

    [Theory]
    [InlineData("")]
    [InlineData("/")]
    public async Task TheRootIsStatedAndListedButNeverCreatedDeletedRenamedOrOpened(string root)
    {
        await using var client = await fixture.Cluster.ConnectAsync();
        var name = fixture.UniqueName("in-root");
        await client.CreateAsync(name, 1);

        var stat = await client.StatAsync(root);
        Assert.Equal((string.Empty, 1UL, PfsEntryKind.Directory), (stat.Name, stat.Inode, stat.Kind));
        Assert.Contains(name, await client.ListAsync(root).Select(e => e.Name).ToListAsync());
        await AssertCode(PfsErrorCode.InvalidArgument, () => client.CreateAsync(root, 1));
        await AssertCode(PfsErrorCode.InvalidArgument, () => client.CreateDirectoryAsync(root));
        await AssertCode(PfsErrorCode.InvalidArgument, () => client.DeleteDirectoryAsync(root));
        await AssertCode(PfsErrorCode.InvalidArgument, () => client.DeleteAsync(root));
        await AssertCode(PfsErrorCode.InvalidArgument, () => client.OpenAsync(root, PfsOpenMode.Read));
        await AssertCode(PfsErrorCode.InvalidArgument, () => client.RenameAsync(root, name + "-x"));
        await AssertCode(PfsErrorCode.InvalidArgument, () => client.RenameAsync(name, root));
    }

    [Fact]
    public async Task ListingAMissingDirectoryIsNotFoundAndAFileNotADirectory()
    {
        await using var client = await fixture.Cluster.ConnectAsync();
        var name = fixture.UniqueName("list-file");
        await client.CreateAsync(name, 1);

        await AssertCode(PfsErrorCode.NotFound, () => client.ListAsync(name + "-missing").ToListAsync().AsTask());
        await AssertCode(PfsErrorCode.NotADirectory, () => client.ListAsync(name).ToListAsync().AsTask());
    }

    [Fact]
    public async Task CreateOptionsOutOfRangeAreInvalidArgument()
    {
        await using var client = await fixture.Cluster.ConnectAsync();
        var name = fixture.UniqueName("options");

        await AssertCode(PfsErrorCode.InvalidArgument, () => client.CreateAsync(name, new PfsCreateOptions { StripeWidth = 0 }));
        await AssertCode(PfsErrorCode.InvalidArgument, () => client.CreateAsync(name, new PfsCreateOptions { StripeWidth = 1, ParityBlocks = -1 }));
        await AssertCode(PfsErrorCode.InvalidArgument, () => client.CreateAsync(name, new PfsCreateOptions { StripeWidth = 2, ParityBlocks = 2 }));
        await AssertCode(PfsErrorCode.InvalidArgument, () => client.CreateAsync(name, new PfsCreateOptions { StripeWidth = 1, BlockSize = 1000 }));
        await client.CreateAsync(name, new PfsCreateOptions { StripeWidth = 2, ParityBlocks = 1, BlockSize = 4096, Mode = 0x180, Uid = 5, Gid = 6 });

        var stat = await client.StatAsync(name);
        Assert.Equal((2, 1, 4096, 0x180u, 5u, 6u, 1u), (stat.StripeWidth, stat.ParityBlocks, stat.BlockSize, stat.Mode, stat.Uid, stat.Gid, stat.LinkCount));
    }

    internal static async Task AssertCode(PfsErrorCode code, Func<Task> call)
    {
        var ex = await Assert.ThrowsAsync<PfsException>(call);
        Assert.Equal(code, ex.Code);
    }
}
