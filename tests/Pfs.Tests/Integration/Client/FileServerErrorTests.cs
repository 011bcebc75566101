using System.Diagnostics;
using Pfs.Client;
using Pfs.Client.Transport;
using Pfs.LocalCluster;
using Pfs.Tests.Fixtures;

namespace Pfs.Tests.Integration.Client;

/// <summary>What a file server's refusals become for the client: a full disk and a refused capability.</summary>
[Collection(ClusterCollection.Name)]
public sealed class FileServerErrorTests(ClusterFixture fixture)
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task ACapabilityForAnotherFileOrForReadingOnlyIsPermissionDenied()
    {
        await using var client = await fixture.Cluster.ConnectAsync();
        var mine = fixture.UniqueName("cap-mine");
        var theirs = fixture.UniqueName("cap-theirs");
        await client.CreateAsync(mine, stripeWidth: 1);
        await client.CreateAsync(theirs, stripeWidth: 1);
        await using var writer = await client.OpenAsync(mine, PfsOpenMode.Write);
        await using var reader = await client.OpenAsync(theirs, PfsOpenMode.Read);

        // The client never does either; the capabilities are real ones the metadata server granted.
        var foreign = WithCapability(reader.Layout, writer.Layout.Capability);
        var error = await Assert.ThrowsAsync<PfsException>(() => WriteBlockZeroAsync(client, foreign));
        Assert.Equal(PfsErrorCode.PermissionDenied, error.Code);
        Assert.Contains("another file", error.Message);

        error = await Assert.ThrowsAsync<PfsException>(() => WriteBlockZeroAsync(client, reader.Layout));
        Assert.Equal(PfsErrorCode.PermissionDenied, error.Code);
        Assert.Contains("read capability", error.Message);
    }

    [Fact]
    public async Task ACapabilitySignedWithAnotherKeyIsPermissionDenied()
    {
        await using var client = await fixture.Cluster.ConnectAsync();
        var name = fixture.UniqueName("cap-forged");
        await client.CreateAsync(name, stripeWidth: 1);
        await using var reader = await client.OpenAsync(name, PfsOpenMode.Read);

        var forged = WithCapability(reader.Layout, TestCaps.Write(reader.Layout.ObjectId));
        var error = await Assert.ThrowsAsync<PfsException>(() =>
            client.Transport.ReadAsync(forged, [0], (_, _) => { }, CancellationToken.None));

        Assert.Equal(PfsErrorCode.PermissionDenied, error.Code);
        Assert.Contains("no valid capability", error.Message);
    }

    [Fact]
    public async Task AFileServerOutOfSpaceIsNoSpace()
    {
        var dataRoot = Path.Combine(Path.GetTempPath(), "pfs-nospace-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dataRoot);
        var (mounted, why) = await RunAsync("mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", dataRoot);
        Assert.True(mounted, $"a 2 MiB tmpfs for the file server's data (this test runs as root): {why}");
        try
        {
            await using var cluster = await PfsCluster.StartAsync(fileServers: 1, dataRoot: dataRoot);
            // No write-behind: the write itself waits for the file server's answer.
            await using var client = await PfsClient.ConnectAsync(new PfsClientOptions
            {
                ClientId = "nospace",
                MetaServer = cluster.MetaServerAddress,
                WriteBehindBytes = 0,
            });
            await client.CreateAsync("big", stripeWidth: 1, blockSize: 64 * 1024);
            await using var file = await client.OpenAsync("big", PfsOpenMode.Write);

            var error = await Assert.ThrowsAsync<PfsException>(() => file.WriteAsync(new byte[4 * 1024 * 1024], 0).AsTask());

            Assert.Equal(PfsErrorCode.NoSpace, error.Code);
            Assert.Contains("no space", error.Message);
        }
        finally
        {
            // Lazily if still busy: it must not outlive the test.
            if (!(await RunAsync("umount", dataRoot)).Succeeded)
            {
                await RunAsync("umount", "-l", dataRoot);
            }

            Directory.Delete(dataRoot);
        }
    }

    [Fact]
    public async Task APutBiggerThanTheDiskFailsAtOnceLeavesNoFileAndGivesTheSpaceBack()
    {
        var dataRoot = Path.Combine(Path.GetTempPath(), "pfs-nospace-put-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dataRoot);
        using var local = new Cli.LocalFiles();
        var (mounted, why) = await RunAsync("mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", dataRoot);
        Assert.True(mounted, $"an 8 MiB tmpfs for the file server's data (this test runs as root): {why}");
        try
        {
            await using var cluster = await PfsCluster.StartAsync(fileServers: 1, dataRoot: dataRoot);
            var free = new DriveInfo(dataRoot).AvailableFreeSpace;

            // Before: the failed write left the open (and its lock) in place, and the clean-up's delete waited for
            // that very lock, for ever. CliRunner gives up after a minute.
            var put = await Cli.CliRunner.RunAsync(cluster, "put", local.Write("big", TestData.Bytes(24 * 1024 * 1024, seed: 5)), "big");
            var small = TestData.Bytes(100_000, seed: 6);
            await Wait.UntilAsync(() => new DriveInfo(dataRoot).AvailableFreeSpace >= free - (1 << 20), "the failed writer's stage is dropped");
            var again = await Cli.CliRunner.RunAsync(cluster, "put", local.Write("small", small), "small");

            Cli.CliRunner.AssertFailed(put, 1, "no space left on the file server");
            await using var client = await cluster.ConnectAsync();
            var gone = await Assert.ThrowsAsync<PfsException>(() => client.StatAsync("big"));
            Assert.Equal(PfsErrorCode.NotFound, gone.Code);
            Assert.True(again.ExitCode == 0, again.ToString());
            Assert.Equal(small.Length, (await client.StatAsync("small")).Size);
        }
        finally
        {
            if (!(await RunAsync("umount", dataRoot)).Succeeded)
            {
                await RunAsync("umount", "-l", dataRoot);
            }

            Directory.Delete(dataRoot);
        }
    }

    private static FileLayout WithCapability(FileLayout layout, Pfs.Protocol.FileServer.Capability? capability) =>
        new(layout.Name, layout.FileId, layout.BlockSize, layout.Servers, capability);

    private static Task WriteBlockZeroAsync(PfsClient client, FileLayout layout) =>
        client.Transport.WriteAsync(layout, [(0, new byte[layout.BlockSize])], sync: false, CancellationToken.None);

    private static async Task<(bool Succeeded, string Error)> RunAsync(string command, params string[] args)
    {
        var start = new ProcessStartInfo(command) { RedirectStandardError = true, UseShellExecute = false };
        args.ToList().ForEach(start.ArgumentList.Add);
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(CommandTimeout);
        return (process.ExitCode == 0, $"{command} exited {process.ExitCode}: {await error}");
    }
}
