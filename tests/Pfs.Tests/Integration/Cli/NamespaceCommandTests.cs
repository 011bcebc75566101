using System.Text.Json;
using Pfs.Client;
using Pfs.Tests.Fixtures;

namespace Pfs.Tests.Integration.Cli;

/// <summary><c>pfs ls</c>, <c>stat</c>, <c>rm</c> and <c>stripe</c> end to end against an in-process cluster.</summary>
[Collection(ClusterCollection.Name)]
public sealed class NamespaceCommandTests(ClusterFixture fixture)
{
    [Fact]
    public async Task LsShowsNameSizeWidthBlockSizeAndModificationTimeAsATable()
    {
        var name = fixture.UniqueName("listed.bin");
        await CreateAsync(name, size: 12_345, width: 2, blockSize: 8192);

        var ls = await CliRunner.RunAsync(fixture.Cluster, "ls");

        Assert.True(ls.ExitCode == 0, ls.ToString());
        var lines = ls.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["NAME", "SIZE", "WIDTH", "BLOCK", "MODIFIED"], lines[0].Split(' ', StringSplitOptions.RemoveEmptyEntries));
        var row = Assert.Single(lines, line => line.StartsWith(name + " ", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal([name, "12345", "2", "8", "KiB"], row[..5]);
        Assert.Matches(@"^\d{4}-\d\d-\d\d$", row[5]);
        Assert.Matches(@"^\d\d:\d\d:\d\dZ$", row[6]);
    }

    [Fact]
    public async Task LsJsonIsAnArrayOfCamelCaseFileInfos()
    {
        var name = fixture.UniqueName("json.bin");
        await CreateAsync(name, size: 777, width: 3, blockSize: 512);

        var ls = await CliRunner.RunAsync(fixture.Cluster, "ls", "--json");

        Assert.True(ls.ExitCode == 0, ls.ToString());
        var files = JsonDocument.Parse(ls.Stdout).RootElement;
        Assert.Equal(JsonValueKind.Array, files.ValueKind);
        var file = Assert.Single(files.EnumerateArray(), f => f.GetProperty("name").GetString() == name);
        Assert.Equal(777, file.GetProperty("size").GetInt64());
        Assert.Equal(3, file.GetProperty("stripeWidth").GetInt32());
        Assert.Equal(512, file.GetProperty("blockSize").GetInt32());
        Assert.True(file.GetProperty("modified").GetDateTimeOffset() > DateTimeOffset.UtcNow.AddHours(-1));
    }

    [Fact]
    public async Task StatShowsSizeBlocksAndStriping()
    {
        var name = fixture.UniqueName("stat.bin");
        await CreateAsync(name, size: 5000, width: 3, blockSize: 1024);

        var stat = await CliRunner.RunAsync(fixture.Cluster, "stat", name);
        var json = await CliRunner.RunAsync(fixture.Cluster, "stat", name, "--json");

        Assert.True(stat.ExitCode == 0, stat.ToString());
        Assert.Contains($"name:          {name}\n", stat.Stdout);
        Assert.Contains("size:          5000 bytes (4.9 KiB)\n", stat.Stdout);
        Assert.Contains("blocks:        5 of 1 KiB\n", stat.Stdout);
        Assert.Contains("stripe width:  3\n", stat.Stdout);
        Assert.Equal(5000, JsonDocument.Parse(json.Stdout).RootElement.GetProperty("size").GetInt64());
    }

    [Fact]
    public async Task StatOfAMissingFileExitsOneWithOneLine()
    {
        var stat = await CliRunner.RunAsync(fixture.Cluster, "stat", fixture.UniqueName("ghost"));

        CliRunner.AssertFailed(stat, 1, "not found");
    }

    [Fact]
    public async Task StatOfAnInvalidNameExitsOneWithOneLine()
    {
        var stat = await CliRunner.RunAsync(fixture.Cluster, "stat", "a//b");

        CliRunner.AssertFailed(stat, 1, "empty component");
    }

    [Fact]
    public async Task RmDeletesFilesSilently()
    {
        var first = fixture.UniqueName("rm-a");
        var second = fixture.UniqueName("rm-b");
        await CreateAsync(first, size: 10, width: 1, blockSize: 512);
        await CreateAsync(second, size: 10, width: 1, blockSize: 512);

        var rm = await CliRunner.RunAsync(fixture.Cluster, "rm", first, second);
        var stat = await CliRunner.RunAsync(fixture.Cluster, "stat", first);

        Assert.True(rm.ExitCode == 0, rm.ToString());
        Assert.Empty(rm.StdoutBytes);
        Assert.Equal(1, stat.ExitCode);
        await using var client = await fixture.Cluster.ConnectAsync();
        Assert.DoesNotContain(await client.ListAsync(), file => file.Name == first || file.Name == second);
    }

    [Fact]
    public async Task RmOfAMissingFileExitsOneWithOneLine()
    {
        var rm = await CliRunner.RunAsync(fixture.Cluster, "rm", fixture.UniqueName("gone"));

        CliRunner.AssertFailed(rm, 1, "not found");
    }

    [Fact]
    public async Task RmWithAMissingOrDirectoryOperandRemovesNothing()
    {
        var kept = fixture.UniqueName("rm-kept");
        var directory = fixture.UniqueName("rm-dir");
        await CreateAsync(kept, size: 10, width: 1, blockSize: 512);
        await using var client = await fixture.Cluster.ConnectAsync();
        await client.CreateDirectoryAsync(directory);

        var missing = await CliRunner.RunAsync(fixture.Cluster, "rm", kept, fixture.UniqueName("gone"));
        var notRecursive = await CliRunner.RunAsync(fixture.Cluster, "rm", kept, directory);

        CliRunner.AssertFailed(missing, 1, "not found");
        CliRunner.AssertFailed(notRecursive, 1, "is a directory");
        Assert.Equal(10, (await client.StatAsync(kept)).Size);
    }

    [Fact]
    public async Task StripeShowsEachServersBlocksAndTheBytesAddUpToTheFileSize()
    {
        var name = fixture.UniqueName("striped.bin");
        // 2048 blocks of 512 B, the last one (on server 2047 % 3 = 1) 100 bytes short.
        const long size = (2048 * 512) - 100;
        await CreateAsync(name, size, width: 3, blockSize: 512);

        var stripe = await CliRunner.RunAsync(fixture.Cluster, "stripe", name);
        var json = await CliRunner.RunAsync(fixture.Cluster, "stripe", name, "--json");

        Assert.True(stripe.ExitCode == 0, stripe.ToString());
        var lines = stripe.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith($"{name}: {size} bytes", lines[0]);
        Assert.Contains("in 2048 blocks of 512 B, striped over 3 file servers", lines[0]);
        Assert.Contains("every 3rd block from 0: 0..2046 (683 blocks)", stripe.Stdout);
        Assert.Contains("every 3rd block from 1: 1..2047 (683 blocks)", stripe.Stdout);
        Assert.Contains("every 3rd block from 2: 2..2045 (682 blocks)", stripe.Stdout);
        for (var server = 0; server < 3; server++)
        {
            Assert.Contains(fixture.Cluster.FileServerAddresses[server].ToString().TrimEnd('/'), stripe.Stdout);
        }

        Assert.EndsWith($" {size}", lines[^1]);
        Assert.StartsWith("total", lines[^1].TrimStart());

        var root = JsonDocument.Parse(json.Stdout).RootElement;
        var servers = root.GetProperty("servers").EnumerateArray().ToList();
        Assert.Equal(size, servers.Sum(server => server.GetProperty("bytes").GetInt64()));
        Assert.Equal(2048, servers.Sum(server => server.GetProperty("blockCount").GetInt64()));
        Assert.Equal([683L * 512, (683 * 512) - 100, 682 * 512], servers.Select(server => server.GetProperty("bytes").GetInt64()));
    }

    [Fact]
    public async Task StripeOfAMissingFileExitsOneWithOneLine()
    {
        var stripe = await CliRunner.RunAsync(fixture.Cluster, "stripe", fixture.UniqueName("nowhere"));

        CliRunner.AssertFailed(stripe, 1, "not found");
    }

    [Fact]
    public async Task StripeOfAFileWithParityShowsWhichPositionHoldsWhichDataAndParityBlocks()
    {
        var name = fixture.UniqueName("parity.bin");
        await using (var client = await fixture.Cluster.ConnectAsync())
        {
            await client.CreateAsync(name, new PfsCreateOptions { StripeWidth = 2, ParityBlocks = 1, BlockSize = 1024 });
            await using var file = await client.OpenAsync(name, PfsOpenMode.Write);
            await file.WriteAsync(TestData.Bytes(5000, seed: 5), 0);
        }

        var stripe = await CliRunner.RunAsync(fixture.Cluster, "stripe", name);
        var json = await CliRunner.RunAsync(fixture.Cluster, "stripe", name, "--json");

        Assert.True(stripe.ExitCode == 0, stripe.ToString());
        Assert.Contains("2+1 erasure-coded over 3 file servers: 3 stripes of 2 data and 1 parity blocks", stripe.Stdout, StringComparison.Ordinal);
        Assert.Contains("redundancy: full", stripe.Stdout, StringComparison.Ordinal);
        var lines = stripe.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList();
        // 5 blocks in 3 stripes; shard j of stripe s on position (j + s) % 3.
        var rows = lines.Where(cells => cells.Length == 5 && cells[0] is "0" or "1" or "2" && cells[4] is "ok" or "stale")
            .Select(cells => (cells[0], cells[2], cells[3], cells[4])).ToList();
        Assert.Equal([("0", "1", "1", "ok"), ("1", "2", "1", "ok"), ("2", "2", "1", "ok")], rows);
        var map = lines.SkipWhile(cells => cells[0] != "STRIPE").Skip(1).Take(3).Select(cells => string.Join(' ', cells)).ToList();
        Assert.Equal(["0 d0 d1 p0", "1 p0 d2 d3", "2 - p0 d4"], map);

        var root = JsonDocument.Parse(json.Stdout).RootElement;
        Assert.Equal(1, root.GetProperty("parityBlocks").GetInt32());
        Assert.Empty(root.GetProperty("servers").EnumerateArray());
        Assert.Equal([1L, 2L, 2L], root.GetProperty("positions").EnumerateArray().Select(p => p.GetProperty("dataBlocks").GetInt64()));
        Assert.Equal("p0", root.GetProperty("firstStripes")[2][1].GetString());
    }

    private async Task CreateAsync(string name, long size, int width, int blockSize)
    {
        await using var client = await fixture.Cluster.ConnectAsync();
        await client.CreateAsync(name, width, blockSize);
        await using var file = await client.OpenAsync(name, PfsOpenMode.Write);
        await file.WriteAsync(TestData.Bytes((int)size, seed: (int)size), 0);
    }
}
