using Pfs.Client;
using Pfs.Tests.Fixtures;

namespace Pfs.Tests.Integration.Client;

[Collection(ClusterCollection.Name)]
public sealed class ErrorTests(ClusterFixture fixture)
{
    // Since version 2 a name is a path: "a/b" and "/abs" are valid (see the namespace tests), "" is the root.
    public static TheoryData<string> BadNames => new()
    {
        ".",
        "..",
        "a//b",
        "trailing/",
        "../etc/passwd",
        "back\\slash",
        "nul\0byte",
        new string('x', 256),
        new string('é', 128), // 256 UTF-8 bytes
    };

    [Theory]
    [MemberData(nameof(BadNames))]
    public async Task BadNamesAreInvalidArgumentEverywhere(string name)
    {
        await using var client = await fixture.Cluster.ConnectAsync();

        await AssertCode(PfsErrorCode.InvalidArgument, () => client.CreateAsync(name, 1));
        await AssertCode(PfsErrorCode.InvalidArgument, () => client.OpenAsync(name, PfsOpenMode.Read));
        await AssertCode(PfsErrorCode.InvalidArgument, () => client.DeleteAsync(name));
        await AssertCode(PfsErrorCode.InvalidArgument, () => client.StatAsync(name));
    }

    [Fact]
    public async Task TheRootIsNoFileToCreateOpenOrDeleteButCanBeStated()
    {
        await using var client = await fixture.Cluster.ConnectAsync();

        await AssertCode(PfsErrorCode.InvalidArgument, () => client.CreateAsync(string.Empty, 1));
        await AssertCode(PfsErrorCode.InvalidArgument, () => client.OpenAsync(string.Empty, PfsOpenMode.Read));
        await AssertCode(PfsErrorCode.InvalidArgument, () => client.DeleteAsync(string.Empty));
        Assert.Equal(PfsEntryKind.Directory, (await client.StatAsync(string.Empty)).Kind);
    }

    [Fact]
    public async Task NameOf255Utf8BytesIsAccepted()
    {
        await using var client = await fixture.Cluster.ConnectAsync();
        var name = new string('é', 127) + "z"; // 255 bytes

        await client.CreateAsync(name, 1);

        Assert.Equal(name, (await client.StatAsync(name)).Name);
        await client.DeleteAsync(name);
    }

    [Fact]
    public async Task MissingFilesAreNotFound()
    {
        await using var client = await fixture.Cluster.ConnectAsync();
        var name = fixture.UniqueName("missing");

        await AssertCode(PfsErrorCode.NotFound, () => client.OpenAsync(name, PfsOpenMode.Read));
        await AssertCode(PfsErrorCode.NotFound, () => client.OpenAsync(name, PfsOpenMode.Write));
        await AssertCode(PfsErrorCode.NotFound, () => client.DeleteAsync(name));
        await AssertCode(PfsErrorCode.NotFound, () => client.StatAsync(name));
    }

    [Fact]
    public async Task CreatingAnExistingNameIsAlreadyExists()
    {
        await using var client = await fixture.Cluster.ConnectAsync();
        var name = fixture.UniqueName("twice");
        await client.CreateAsync(name, 1);

        await AssertCode(PfsErrorCode.AlreadyExists, () => client.CreateAsync(name, 2));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData(4)] // the cluster has 3 file servers
    public async Task StripeWidthOutsideOneToServerCountIsInvalidArgument(int width)
    {
        await using var client = await fixture.Cluster.ConnectAsync();

        await AssertCode(PfsErrorCode.InvalidArgument, () => client.CreateAsync(fixture.UniqueName("width"), width));
    }

    [Theory]
    [InlineData(256)]
    [InlineData(1000)]
    [InlineData(128 * 1024 * 1024)]
    public async Task BadBlockSizesAreInvalidArgument(int blockSize)
    {
        await using var client = await fixture.Cluster.ConnectAsync();

        await AssertCode(PfsErrorCode.InvalidArgument, () => client.CreateAsync(fixture.UniqueName("bs"), 1, blockSize));
    }

    [Fact]
    public async Task NegativeOffsetsAreInvalidArgument()
    {
        await using var client = await fixture.Cluster.ConnectAsync();
        var name = fixture.UniqueName("negative");
        await client.CreateAsync(name, 1);
        await using var file = await client.OpenAsync(name, PfsOpenMode.Write);

        await AssertCode(PfsErrorCode.InvalidArgument, () => file.ReadAsync(new byte[1], -1).AsTask());
        await AssertCode(PfsErrorCode.InvalidArgument, () => file.WriteAsync(new byte[1], -1).AsTask());
        await AssertCode(PfsErrorCode.InvalidArgument, () => file.WriteAsync(new byte[1], long.MaxValue).AsTask());
    }

    [Fact]
    public async Task WritingAFileOpenForReadIsWrongMode()
    {
        await using var client = await fixture.Cluster.ConnectAsync();
        var name = fixture.UniqueName("wrong-mode");
        await client.CreateAsync(name, 1);
        await using var file = await client.OpenAsync(name, PfsOpenMode.Read);

        await AssertCode(PfsErrorCode.WrongMode, () => file.WriteAsync(new byte[1], 0).AsTask());
    }

    [Fact]
    public async Task UsingAClosedFileIsClosedAndClosingTwiceIsHarmless()
    {
        await using var client = await fixture.Cluster.ConnectAsync();
        var name = fixture.UniqueName("closed");
        await client.CreateAsync(name, 1);
        var file = await client.OpenAsync(name, PfsOpenMode.Write);
        await file.WriteAsync(new byte[] { 1 }, 0);

        await file.CloseAsync();
        await file.CloseAsync();
        await file.DisposeAsync();

        await AssertCode(PfsErrorCode.Closed, () => file.ReadAsync(new byte[1], 0).AsTask());
        await AssertCode(PfsErrorCode.Closed, () => file.WriteAsync(new byte[1], 0).AsTask());
        await AssertCode(PfsErrorCode.Closed, () => file.StatAsync());
        Assert.Equal(1, (await client.StatAsync(name)).Size);
    }

    [Fact]
    public async Task DisposedClientIsClosedAndItsOpenFilesWereFlushed()
    {
        var name = fixture.UniqueName("dispose");
        var client = await fixture.Cluster.ConnectAsync();
        await client.CreateAsync(name, 2);
        var file = await client.OpenAsync(name, PfsOpenMode.Write);
        await file.WriteAsync(TestData.Bytes(1500, seed: 9), 0);

        await client.DisposeAsync();

        await AssertCode(PfsErrorCode.Closed, () => client.StatAsync(name));
        await AssertCode(PfsErrorCode.Closed, () => file.ReadAsync(new byte[1], 0).AsTask());
        await using var other = await fixture.Cluster.ConnectAsync();
        await using var reader = await other.OpenAsync(name, PfsOpenMode.Read);
        Assert.Equal(TestData.Bytes(1500, seed: 9), await TestData.ReadAllAsync(reader, 1500));
    }

    [Fact]
    public async Task BadClientOptionsAreInvalidArgument()
    {
        await AssertCode(PfsErrorCode.InvalidArgument, () => PfsClient.ConnectAsync(new PfsClientOptions
        {
            ClientId = "",
            MetaServer = fixture.Cluster.MetaServerAddress,
        }));
        await AssertCode(PfsErrorCode.InvalidArgument, () => PfsClient.ConnectAsync(new PfsClientOptions
        {
            ClientId = "x",
            MetaServer = fixture.Cluster.MetaServerAddress,
            CacheBlocks = 0,
        }));
    }

    [Fact]
    public async Task BadClientOptionsNameEveryRuleTheyBreak()
    {
        var error = await Assert.ThrowsAsync<PfsException>(() => PfsClient.ConnectAsync(new PfsClientOptions
        {
            ClientId = " ",
            MetaServer = new Uri("ftp://meta.example/"),
            OperationTimeout = TimeSpan.Zero,
            MaxCallBytes = 100,
        }));

        Assert.Equal(PfsErrorCode.InvalidArgument, error.Code);
        Assert.Contains("ClientId: must not be empty", error.Message);
        Assert.Contains("MetaServer: must be an absolute http:// or https:// address, not 'ftp://meta.example/'", error.Message);
        Assert.Contains("OperationTimeout: must be positive, not 00:00:00", error.Message);
        Assert.Contains("MaxCallBytes: must be at least 512, not 100", error.Message);
    }

    internal static async Task AssertCode(PfsErrorCode code, Func<Task> action)
    {
        var error = await Assert.ThrowsAsync<PfsException>(action);
        Assert.Equal(code, error.Code);
    }
}
