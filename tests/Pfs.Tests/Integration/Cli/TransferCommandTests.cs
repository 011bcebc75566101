using System.Security.Cryptography;
using System.Text.Json;
using Pfs.Tests.Fixtures;

namespace Pfs.Tests.Integration.Cli;

/// <summary><c>pfs put</c>, <c>get</c> and <c>cat</c> end to end against an in-process cluster.</summary>
[Collection(ClusterCollection.Name)]
public sealed class TransferCommandTests(ClusterFixture fixture) : IDisposable
{
    private readonly LocalFiles _local = new();

    public void Dispose() => _local.Dispose();

    [Fact]
    public async Task PutThenGetOfFiftyMegabytesIsByteIdentical()
    {
        var name = fixture.UniqueName("fifty.bin");
        var contents = TestData.Bytes(50 * 1024 * 1024, seed: 50);
        var source = _local.Write("source.bin", contents);
        var target = _local.PathOf("copy.bin");

        var put = await CliRunner.RunAsync(fixture.Cluster, "put", source, name);
        var get = await CliRunner.RunAsync(fixture.Cluster, "get", name, target);

        Assert.True(put.ExitCode == 0, put.ToString());
        Assert.Contains($"put {name}: {contents.Length} bytes (50 MiB)", put.Stdout);
        Assert.True(get.ExitCode == 0, get.ToString());
        Assert.Contains($"get {name}: {contents.Length} bytes", get.Stdout);
        Assert.Equal(SHA256.HashData(contents), SHA256.HashData(await File.ReadAllBytesAsync(target)));
        Assert.Empty(put.Stderr + get.Stderr);
        Assert.Equal(new[] { source, target }.Order(), Directory.GetFiles(_local.Root).Order());
    }

    [Fact]
    public async Task PutStripesOverEveryServerByDefaultInOneMegabyteBlocks()
    {
        var name = fixture.UniqueName("default.bin");
        var source = _local.Write("default.bin", TestData.Bytes(3000, seed: 1));

        var put = await CliRunner.RunAsync(fixture.Cluster, "put", source, name);

        Assert.True(put.ExitCode == 0, put.ToString());
        await using var client = await fixture.Cluster.ConnectAsync();
        var info = await client.StatAsync(name);
        Assert.Equal((3000L, 3, 1024 * 1024), (info.Size, info.StripeWidth, info.BlockSize));
    }

    [Fact]
    public async Task PutHonoursStripeWidthAndBlockSize()
    {
        var name = fixture.UniqueName("chosen.bin");
        var source = _local.Write("chosen.bin", TestData.Bytes(10_000, seed: 2));

        var put = await CliRunner.RunAsync(fixture.Cluster, "put", source, name, "--stripe-width", "2", "--block-size", "4K");

        Assert.True(put.ExitCode == 0, put.ToString());
        await using var client = await fixture.Cluster.ConnectAsync();
        var info = await client.StatAsync(name);
        Assert.Equal((10_000L, 2, 4096), (info.Size, info.StripeWidth, info.BlockSize));
    }

    [Fact]
    public async Task PutWithParityStripesOverTheServersTheParityLeavesAndReadsBack()
    {
        var name = fixture.UniqueName("parity.bin");
        var tree = fixture.UniqueName("parity-tree");
        var contents = TestData.Bytes(300_000, seed: 6);
        var source = _local.Write("parity.bin", contents);
        Directory.CreateDirectory(_local.PathOf("tree/sub"));
        _local.Write("tree/sub/leaf.bin", contents[..5000]);

        var put = await CliRunner.RunAsync(fixture.Cluster, "put", source, name, "--parity", "1", "--block-size", "64K");
        var putTree = await CliRunner.RunAsync(fixture.Cluster, "put", "-r", _local.PathOf("tree"), tree, "-p", "2");
        var get = await CliRunner.RunAsync(fixture.Cluster, "get", name, "-");

        Assert.True(put.ExitCode == 0, put.ToString());
        Assert.True(putTree.ExitCode == 0, putTree.ToString());
        await using var client = await fixture.Cluster.ConnectAsync();
        var info = await client.StatAsync(name);
        // Three file servers: two for data and one for parity; two for parity leave one for data.
        Assert.Equal((2, 1, 64 * 1024), (info.StripeWidth, info.ParityBlocks, info.BlockSize));
        var leaf = await client.StatAsync($"{tree}/sub/leaf.bin");
        Assert.Equal((1, 2, 5000L), (leaf.StripeWidth, leaf.ParityBlocks, leaf.Size));
        Assert.Equal(contents, get.StdoutBytes);
    }

    [Theory]
    [InlineData("3", "--parity 3 needs at least 4 file servers; the cluster has 3", 2)]
    [InlineData("-1", "--parity '-1' must be a whole number", 2)]
    [InlineData("two", "--parity 'two' must be a whole number", 2)]
    public async Task PutWithParityTheClusterCannotHoldFailsOnOneLineAndCreatesNothing(string parity, string message, int exitCode)
    {
        var name = fixture.UniqueName("too-much-parity.bin");

        var put = await CliRunner.RunAsync(fixture.Cluster, "put", _local.Write("p.bin", [1, 2, 3]), name, "--parity", parity);

        CliRunner.AssertFailed(put, exitCode, message);
        await using var client = await fixture.Cluster.ConnectAsync();
        Assert.DoesNotContain(await client.ListAsync(), file => file.Name == name);
    }

    [Fact]
    public async Task PutWithoutANameUsesTheLocalFileName()
    {
        var fileName = fixture.UniqueName("unnamed.txt");
        var source = _local.Write(fileName, "no name given"u8.ToArray());

        var put = await CliRunner.RunAsync(fixture.Cluster, "put", source);
        var cat = await CliRunner.RunAsync(fixture.Cluster, "cat", fileName);

        Assert.True(put.ExitCode == 0, put.ToString());
        Assert.Equal("no name given", cat.Stdout);
    }

    [Fact]
    public async Task CatOfSeveralFilesWritesThoseThatExistAndSaysWhichDoNot()
    {
        var (a, b) = (fixture.UniqueName("cat-a.txt"), fixture.UniqueName("cat-b.txt"));
        await CliRunner.RunAsync(fixture.Cluster, "put", _local.Write("a.txt", "first\n"u8.ToArray()), a);
        await CliRunner.RunAsync(fixture.Cluster, "put", _local.Write("b.txt", "second\n"u8.ToArray()), b);

        var cat = await CliRunner.RunAsync(fixture.Cluster, "cat", a, fixture.UniqueName("cat-missing"), b);

        Assert.True(cat.ExitCode == 1, cat.ToString());
        Assert.Equal("first\nsecond\n", cat.Stdout);
        var error = Assert.Single(cat.StderrLines);
        Assert.StartsWith("pfs: ", error, StringComparison.Ordinal);
        Assert.Contains("cat-missing", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PutIntoAnExistingDirectoryKeepsTheFilesOwnName()
    {
        var directory = fixture.UniqueName("put-into");
        var fileName = fixture.UniqueName("into.txt");
        var source = _local.Write(fileName, "into a directory"u8.ToArray());
        await CliRunner.RunAsync(fixture.Cluster, "mkdir", directory);

        var into = await CliRunner.RunAsync(fixture.Cluster, "put", source, directory);
        var root = await CliRunner.RunAsync(fixture.Cluster, "put", source, "/");

        Assert.True(into.ExitCode == 0, into.ToString());
        Assert.True(root.ExitCode == 0, root.ToString());
        Assert.Equal("into a directory", (await CliRunner.RunAsync(fixture.Cluster, "cat", $"{directory}/{fileName}")).Stdout);
        Assert.Equal("into a directory", (await CliRunner.RunAsync(fixture.Cluster, "cat", fileName)).Stdout);
    }

    [Fact]
    public async Task PutOfAnExistingNameFailsUnlessForced()
    {
        var name = fixture.UniqueName("exists.txt");
        var first = _local.Write("first.txt", "first"u8.ToArray());
        var second = _local.Write("second.txt", "second version"u8.ToArray());
        Assert.Equal(0, (await CliRunner.RunAsync(fixture.Cluster, "put", first, name)).ExitCode);

        var refused = await CliRunner.RunAsync(fixture.Cluster, "put", second, name);
        var kept = await CliRunner.RunAsync(fixture.Cluster, "cat", name);
        var forced = await CliRunner.RunAsync(fixture.Cluster, "put", second, name, "--force");
        var replaced = await CliRunner.RunAsync(fixture.Cluster, "cat", name);

        CliRunner.AssertFailed(refused, 1, "--force");
        Assert.Equal("first", kept.Stdout);
        Assert.True(forced.ExitCode == 0, forced.ToString());
        Assert.Equal("second version", replaced.Stdout);
    }

    [Fact]
    public async Task PutOfAMissingLocalFileFailsOnOneLineAndCreatesNothing()
    {
        var name = fixture.UniqueName("never.bin");

        var put = await CliRunner.RunAsync(fixture.Cluster, "put", _local.PathOf("missing.bin"), name);

        CliRunner.AssertFailed(put, 1, "cannot read '" + _local.PathOf("missing.bin") + "': no such file");
        await using var client = await fixture.Cluster.ConnectAsync();
        Assert.DoesNotContain(await client.ListAsync(), file => file.Name == name);
    }

    [Fact]
    public async Task PutWiderThanTheClusterFailsOnOneLineAndCreatesNothing()
    {
        var name = fixture.UniqueName("wide.bin");
        var source = _local.Write("wide.bin", [1, 2, 3]);

        var put = await CliRunner.RunAsync(fixture.Cluster, "put", source, name, "--stripe-width", "9");

        CliRunner.AssertFailed(put, 1, "9");
        await using var client = await fixture.Cluster.ConnectAsync();
        Assert.DoesNotContain(await client.ListAsync(), file => file.Name == name);
    }

    [Fact]
    public async Task GetIntoADirectoryUsesTheFilesNameAndReplacesAnOldCopy()
    {
        var name = fixture.UniqueName("into-dir.bin");
        var contents = TestData.Bytes(5000, seed: 3);
        await CliRunner.RunAsync(fixture.Cluster, "put", _local.Write("src.bin", contents), name);
        await File.WriteAllTextAsync(_local.PathOf(name), "stale");

        var get = await CliRunner.RunAsync(fixture.Cluster, "get", name, _local.Root);

        Assert.True(get.ExitCode == 0, get.ToString());
        Assert.Equal(contents, await File.ReadAllBytesAsync(_local.PathOf(name)));
    }

    [Theory]
    [InlineData("")]
    [InlineData("/")]
    public async Task GetOfAFileInADirectoryWritesItUnderItsOwnNameOnly(string leading)
    {
        // Not under its Pfs path: 'pfs get a/b/f DIR' writes DIR/f as cp does, and '/a/b/f' never the local /a/b/f.
        var directory = fixture.UniqueName("get-nested");
        var contents = TestData.Bytes(3000, seed: 5);
        await using (var client = await fixture.Cluster.ConnectAsync())
        {
            await client.CreateDirectoryAsync(directory);
            await client.CreateDirectoryAsync($"{directory}/inner");
        }

        var put = await CliRunner.RunAsync(fixture.Cluster, "put", _local.Write("src.bin", contents), $"{directory}/inner/f.bin");
        Assert.True(put.ExitCode == 0, put.ToString());
        var into = Directory.CreateDirectory(_local.PathOf("into")).FullName;

        var get = await CliRunner.RunAsync(fixture.Cluster, "get", $"{leading}{directory}/inner/f.bin", into);

        Assert.True(get.ExitCode == 0, get.ToString());
        Assert.Equal([Path.Combine(into, "f.bin")], Directory.GetFileSystemEntries(into));
        Assert.Equal(contents, await File.ReadAllBytesAsync(Path.Combine(into, "f.bin")));
    }

    [Fact]
    public async Task PutOfADirectoryWithoutRecursiveFailsOnOneLineAndCreatesNothing()
    {
        var name = fixture.UniqueName("a-dir");
        var local = Directory.CreateDirectory(_local.PathOf("tree")).FullName;

        var put = await CliRunner.RunAsync(fixture.Cluster, "put", local, name);
        var putTree = await CliRunner.RunAsync(fixture.Cluster, "put", "-r", _local.PathOf("no-such-tree"), name);

        CliRunner.AssertFailed(put, 2, "is a directory (put -r");
        CliRunner.AssertFailed(putTree, 1, "no-such-tree': no such directory");
        await using var client = await fixture.Cluster.ConnectAsync();
        Assert.DoesNotContain(await client.ListAsync(), file => file.Name == name);
    }

    [Fact]
    public async Task GetToADashWritesTheBytesToStandardOutput()
    {
        var name = fixture.UniqueName("to-stdout.bin");
        var contents = TestData.Bytes(70_000, seed: 4);
        await CliRunner.RunAsync(fixture.Cluster, "put", _local.Write("src.bin", contents), name, "--block-size", "512");

        var get = await CliRunner.RunAsync(fixture.Cluster, "get", name, "-");

        Assert.True(get.ExitCode == 0, get.Stderr);
        Assert.Equal(contents, get.StdoutBytes);
    }

    [Fact]
    public async Task GetOfAMissingFileExitsOneWithOneLineAndWritesNoLocalFile()
    {
        var get = await CliRunner.RunAsync(fixture.Cluster, "get", fixture.UniqueName("absent"), _local.PathOf("out.bin"));

        CliRunner.AssertFailed(get, 1, "not found");
        Assert.Empty(Directory.GetFileSystemEntries(_local.Root));
    }

    [Fact]
    public async Task CatWritesFilesToStandardOutputOneAfterTheOther()
    {
        var first = fixture.UniqueName("cat-a.txt");
        var second = fixture.UniqueName("cat-b.txt");
        await CliRunner.RunAsync(fixture.Cluster, "put", _local.Write("a.txt", "hello, "u8.ToArray()), first);
        await CliRunner.RunAsync(fixture.Cluster, "put", _local.Write("b.txt", "parallel world\n"u8.ToArray()), second);

        var cat = await CliRunner.RunAsync(fixture.Cluster, "cat", first, second);

        Assert.True(cat.ExitCode == 0, cat.ToString());
        Assert.Equal("hello, parallel world\n", cat.Stdout);
    }

    [Fact]
    public async Task CatOfAMissingFileExitsOneWithOneLine()
    {
        var cat = await CliRunner.RunAsync(fixture.Cluster, "cat", fixture.UniqueName("nothing"));

        CliRunner.AssertFailed(cat, 1, "not found");
    }

    [Fact]
    public async Task ThePfsMetaVariableNamesTheMetadataServer()
    {
        var name = fixture.UniqueName("via-env.txt");
        await using (var client = await fixture.Cluster.ConnectAsync())
        {
            await client.CreateAsync(name, stripeWidth: 1);
        }

        var environment = new Dictionary<string, string?> { ["PFS_META"] = fixture.Cluster.MetaServerAddress.ToString() };
        var ls = await CliRunner.RunRawAsync(["ls", "--json"], environment);

        Assert.True(ls.ExitCode == 0, ls.ToString());
        var names = JsonDocument.Parse(ls.Stdout).RootElement.EnumerateArray().Select(file => file.GetProperty("name").GetString());
        Assert.Contains(name, names);
    }
}
