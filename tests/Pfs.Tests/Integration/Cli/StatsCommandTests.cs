using System.Text.Json;
using Pfs.Client;
using Pfs.LocalCluster;

namespace Pfs.Tests.Integration.Cli;

/// <summary><c>pfs stats</c> against a cluster of its own, so the counts are exactly this test's.</summary>
public sealed class StatsCommandTests : IAsyncLifetime
{
    private PfsCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await PfsCluster.StartAsync(fileServers: 3);

    public async Task DisposeAsync() => await _cluster.DisposeAsync();

    [Fact]
    public async Task StatsListsThreeHealthyFileServersInStripeOrder()
    {
        var stats = await CliRunner.RunAsync(_cluster, "stats");

        Assert.True(stats.ExitCode == 0, stats.ToString());
        Assert.Contains("file servers:  3 (3 serving)\n", stats.Stdout);
        var rows = stats.Stdout.Split('\n').SkipWhile(line => !line.TrimStart().StartsWith("SERVER", StringComparison.Ordinal)).Skip(1)
            .Where(line => line.Length > 0).Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList();
        Assert.Equal(3, rows.Count);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal([i.ToString(), _cluster.FileServerAddresses[i].ToString().TrimEnd('/'), "SERVING"], rows[i]);
        }
    }

    [Fact]
    public async Task StatsCountsFilesAndAnOpenFileAndItsLockWhileOneIsHeld()
    {
        await using var holder = await _cluster.ConnectAsync();
        await holder.CreateAsync("held.bin", stripeWidth: 3);
        await holder.CreateAsync("idle.bin", stripeWidth: 1);
        var file = await holder.OpenAsync("held.bin", PfsOpenMode.Write);
        await file.WriteAsync(new byte[1000], 0);

        var whileHeld = await CliRunner.RunAsync(_cluster, "stats");
        await file.CloseAsync();
        var afterClose = await CliRunner.RunAsync(_cluster, "stats", "--json");

        Assert.True(whileHeld.ExitCode == 0, whileHeld.ToString());
        Assert.Contains("files:         2 (0 bytes, 0 B)\n", whileHeld.Stdout);
        Assert.Contains("open files:    1 (0 read, 1 write)\n", whileHeld.Stdout);
        Assert.Contains("locks:         1 held, 0 waiting\n", whileHeld.Stdout);
        Assert.Contains("clients:       2 connected", whileHeld.Stdout);

        var json = JsonDocument.Parse(afterClose.Stdout).RootElement;
        Assert.Equal(2, json.GetProperty("fileCount").GetInt64());
        Assert.Equal(1000, json.GetProperty("totalBytes").GetInt64());
        Assert.Equal(0, json.GetProperty("openForWrite").GetInt32());
        Assert.Equal(0, json.GetProperty("locksHeld").GetInt32());
        Assert.Equal(3, json.GetProperty("fileServers").GetArrayLength());
    }

    [Fact]
    public async Task StatsShowsAStoppedFileServerAsUnreachable()
    {
        await _cluster.StopFileServerAsync(1);

        var stats = await CliRunner.RunAsync(_cluster, "stats");

        Assert.True(stats.ExitCode == 0, stats.ToString());
        Assert.Contains("file servers:  3 (2 serving)\n", stats.Stdout);
        Assert.Matches(@"\n\s*1\s+\S+\s+unreachable\n", stats.Stdout);
    }
}
