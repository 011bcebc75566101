using System.Globalization;
using Pfs.Client;
using Pfs.LocalCluster;
using Pfs.Tests.Fixtures;

namespace Pfs.Tests.Integration.Mount;

/// <summary>
/// <c>pfs mount</c> as a real process (CONTRACT.md "Mount"): its refusals, its clean ends (SIGTERM,
/// SIGINT, an outside umount) and a SIGKILL (issue 12, item 6). Every test unmounts on every path.
/// </summary>
public sealed class MountCommandTests : IAsyncLifetime
{
    private static readonly TimeSpan MountWait = TimeSpan.FromSeconds(60);
    private readonly List<string> _mountPoints = [];
    private PfsCluster _cluster = null!;

    public async Task InitializeAsync() => _cluster = await PfsCluster.StartAsync(fileServers: 2, leaseTimeout: TimeSpan.FromSeconds(3));

    public async Task DisposeAsync()
    {
        _mountPoints.ForEach(MountAt.CleanUp);
        await _cluster.DisposeAsync();
    }

    private string NewMountPoint()
    {
        var root = Directory.CreateTempSubdirectory("pfs-cmd-").FullName;
        _mountPoints.Add(root);
        return root;
    }

    private ChildProcess StartMount(string mountPoint, string? meta = null, params string[] extra) =>
        ChildProcess.Start("Pfs.Cli", ["mount", mountPoint, "--meta", meta ?? _cluster.MetaServerAddress.ToString(), .. extra]);

    private static async Task<string> RefusalAsync(ChildProcess mount)
    {
        await mount.WaitForExitAsync(MountWait);
        Assert.NotEqual(0, mount.ExitCode);
        var lines = mount.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        return lines[0];
    }

    [Fact]
    public async Task RefusesAMissingMountpointInOneLine()
    {
        using var mount = StartMount("/nonexistent/pfs-mountpoint");
        Assert.Contains("does not exist", await RefusalAsync(mount), StringComparison.Ordinal);
    }

    [Fact]
    public async Task RefusesAFileAsMountpointInOneLine()
    {
        var file = Path.Combine(NewMountPoint(), "a-file");
        await File.WriteAllTextAsync(file, "x");
        using var mount = StartMount(file);
        Assert.Equal($"pfs: cannot mount: mountpoint {file} is not a directory", await RefusalAsync(mount));
        File.Delete(file);
    }

    [Fact]
    public async Task RefusesANonEmptyMountpointInOneLine()
    {
        var root = NewMountPoint();
        await File.WriteAllTextAsync(Path.Combine(root, "occupied"), "x");
        using var mount = StartMount(root);
        Assert.Contains("not empty", await RefusalAsync(mount), StringComparison.Ordinal);
        File.Delete(Path.Combine(root, "occupied"));
    }

    [Fact]
    public async Task FilesCreatedThroughAMountWithParityHaveIt()
    {
        var root = NewMountPoint();
        using var mount = StartMount(root, null, "--parity", "1", "--block-size", "64K");
        await mount.WaitForAsync("mounted", MountWait);
        var contents = TestData.Bytes(200_000, seed: 8);

        await File.WriteAllBytesAsync(Path.Combine(root, "mirrored.bin"), contents);

        // An open after close(2) sees what was written (the mount's own close may still be on its way, and a
        // stat does not wait for it; an open does).
        await using var client = await _cluster.ConnectAsync();
        await using (var file = await client.OpenAsync("mirrored.bin", PfsOpenMode.Read))
        {
            var info = await file.StatAsync();
            // Two file servers: one for data, one for parity (a mirror).
            Assert.Equal((1, 1, 64 * 1024, (long)contents.Length), (info.StripeWidth, info.ParityBlocks, info.BlockSize, info.Size));
            Assert.Equal(contents, await TestData.ReadAllAsync(file, info.Size));
        }

        Assert.Equal(contents, await File.ReadAllBytesAsync(Path.Combine(root, "mirrored.bin")));
        await Programs.RunAsync("kill", ["-TERM", mount.Pid.ToString(CultureInfo.InvariantCulture)]);
        await mount.WaitForExitAsync(MountWait);
        Assert.Equal(0, mount.ExitCode);
    }

    [Fact]
    public async Task RefusesMoreParityThanTheClusterHasServersForInOneLine()
    {
        using var mount = StartMount(NewMountPoint(), null, "--parity", "2");
        Assert.Equal("pfs: cannot mount: 2 parity blocks per stripe need at least 3 file servers; the cluster has 2", await RefusalAsync(mount));
    }

    [Fact]
    public async Task RefusesAClusterItCannotReachInOneLine()
    {
        using var mount = StartMount(NewMountPoint(), "http://127.0.0.1:1", "--timeout", "2");
        Assert.Contains("cannot mount", await RefusalAsync(mount), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("TERM")]
    [InlineData("INT")]
    public async Task ASignalFlushesOpenFilesUnmountsAndExitsZero(string signal)
    {
        // A process started as a background job of a shell without job control has SIGINT ignored, and its
        // children inherit that (POSIX); the mount would rightly never see the signal. Say so, not a timeout.
        Assert.False(signal == "INT" && SigintIgnoredHere(),
            "this test process ignores SIGINT (it was started in the background of a shell without job control), so the mount it starts inherits that; run the tests in the foreground");
        var root = NewMountPoint();
        using var mount = StartMount(root);
        await mount.WaitForAsync("mounted", MountWait);

        // A process writes and keeps the file open (nothing committed yet), then the mount is told to stop.
        var holder = Programs.RunAsync("python3", ["-c", """
            import os, sys, time
            fd = os.open(sys.argv[1], os.O_CREAT | os.O_WRONLY, 0o644)
            os.write(fd, b'unflushed bytes'); print('written', flush=True)
            time.sleep(20)
            """, Path.Combine(root, "open-" + signal)], timeout: TimeSpan.FromSeconds(60));
        await using var client = await _cluster.ConnectAsync();
        await Wait.UntilAsync(async () => (await client.GetClusterStatusAsync()).OpenForWrite > 0, "the writer is open");
        await Programs.RunAsync("kill", [$"-{signal}", mount.Pid.ToString(CultureInfo.InvariantCulture)]);

        await mount.WaitForExitAsync(MountWait);
        Assert.Equal(0, mount.ExitCode);
        Assert.False(MountAt.IsMounted(root));
        await using var file = await client.OpenAsync("open-" + signal, PfsOpenMode.Read);
        var buffer = new byte[64];
        Assert.Equal("unflushed bytes", Programs.Utf8(buffer[..await file.ReadAsync(buffer, 0)]));
        await holder;
    }

    [Fact]
    public async Task AnOutsideUmountEndsTheCommandWithZero()
    {
        var root = NewMountPoint();
        using var mount = StartMount(root);
        await mount.WaitForAsync("mounted", MountWait);
        await File.WriteAllTextAsync(Path.Combine(root, "outside"), "kept");
        var umount = await Programs.RunAsync("umount", [root]);
        Assert.Equal(0, umount.ExitCode);
        await mount.WaitForExitAsync(MountWait);
        Assert.Equal(0, mount.ExitCode);
        await using var client = await _cluster.ConnectAsync();
        Assert.Equal(4, (await client.StatAsync("outside")).Size);
    }

    [Fact]
    public async Task AfterSigkillUmountLazyClearsTheMountpointAndANewMountWorks()
    {
        var root = NewMountPoint();
        using (var doomed = StartMount(root))
        {
            await doomed.WaitForAsync("mounted", MountWait);
            await File.WriteAllTextAsync(Path.Combine(root, "closed"), "intact");

            // A writer left open when the mount dies: its lock must pass on within the lease.
            var holder = Programs.RunAsync("python3", ["-c", """
                import os, sys, time
                fd = os.open(sys.argv[1], os.O_CREAT | os.O_WRONLY, 0o644)
                os.write(fd, b'never committed'); print('open', flush=True)
                while True:  # until the mount is dead (ENOTCONN), holding the descriptor
                    try: os.stat(sys.argv[1])
                    except OSError: break
                    time.sleep(0.1)
                """, Path.Combine(root, "held")], timeout: TimeSpan.FromSeconds(60));
            await using var probe = await _cluster.ConnectAsync();
            await Wait.UntilAsync(async () => (await probe.GetClusterStatusAsync()).OpenForWrite > 0, "the writer is open");
            await doomed.KillAsync();
            await holder;
        }

        // The dead mount answers ENOTCONN until it is cleared.
        var stat = await Programs.RunAsync("stat", [root]);
        Assert.NotEqual(0, stat.ExitCode);
        Assert.Equal(0, (await Programs.RunAsync("umount", ["-l", root])).ExitCode);

        using var again = StartMount(root);
        await again.WaitForAsync("mounted", MountWait);
        Assert.Equal("intact", await File.ReadAllTextAsync(Path.Combine(root, "closed")));

        // The dead mount's writer lock passes on within the lease: a writer through the new mount gets it.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await using (var writer = new FileStream(Path.Combine(root, "held"), FileMode.Open, FileAccess.Write))
        {
            await writer.WriteAsync("after"u8.ToArray(), timeout.Token);
        }

        Assert.Equal("after", await File.ReadAllTextAsync(Path.Combine(root, "held")));
        await Programs.RunAsync("kill", ["-TERM", again.Pid.ToString(CultureInfo.InvariantCulture)]);
        await again.WaitForExitAsync(MountWait);
        Assert.Equal(0, again.ExitCode);
    }

    [Fact]
    public async Task AMountStoppedPastItsLeaseHasItsWritesFencedAndNeverShowsOrWritesThemLater()
    {
        // Arrange: two mounts of one cluster (3 s leases); a writer through the first holds 'fenced' open with 1 MiB of 'A' written
        var (rootA, rootB) = (NewMountPoint(), NewMountPoint());
        var signals = Directory.CreateTempSubdirectory("pfs-fence-").FullName;
        var (ready, go) = (Path.Combine(signals, "ready"), Path.Combine(signals, "go"));
        using var mountA = StartMount(rootA);
        using var mountB = StartMount(rootB);
        await mountA.WaitForAsync("mounted", MountWait);
        await mountB.WaitForAsync("mounted", MountWait);
        var writer = Programs.RunAsync("python3", ["-c", """
            import os, sys, time
            fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            os.write(fd, b'A' * (1 << 20)); open(sys.argv[2], 'w').close()
            while not os.path.exists(sys.argv[3]): time.sleep(0.05)
            try:
                for i in range(4): os.pwrite(fd, b'a' * (64 << 10), i * (64 << 10))
            except OSError as e: print('write failed:', e.strerror)
            try: os.close(fd); print('closed')
            except OSError as e: print('close failed:', e.strerror)
            """, Path.Combine(rootA, "fenced"), ready, go], timeout: TimeSpan.FromSeconds(120));
        try
        {
            await Wait.UntilAsync(() => File.Exists(ready), "the writer through the first mount has written", MountWait);

            // Act: the first mount stops (SIGSTOP) with the open's lock held; a writer through the second mount waits for
            // the lease to run out, writes 512 KiB of 'B' and closes; then the first mount goes on and its writer closes.
            mountA.Pause(true);
            var successor = await Programs.RunAsync("python3", ["-c", """
                import os, sys
                fd = os.open(sys.argv[1], os.O_WRONLY); os.pwrite(fd, b'B' * (512 << 10), 0); os.close(fd)
                """, Path.Combine(rootB, "fenced")], timeout: TimeSpan.FromSeconds(90));
            Assert.True(successor.ExitCode == 0, successor.ToString());
            await File.WriteAllTextAsync(go, string.Empty);
        }
        finally
        {
            mountA.Pause(false);
        }

        var written = await writer;
        var seenByA = await File.ReadAllBytesAsync(Path.Combine(rootA, "fenced"));
        var again = await Programs.RunAsync("python3", ["-c", """
            import os, sys
            fd = os.open(sys.argv[1], os.O_WRONLY); os.pwrite(fd, b'D' * 10, 100); os.close(fd)
            """, Path.Combine(rootA, "fenced")]);
        await using var reader = await _cluster.ConnectAsync();
        byte[] committed;
        await using (var file = await reader.OpenAsync("fenced", PfsOpenMode.Read))
        {
            committed = await TestData.ReadAllAsync(file, (await file.StatAsync()).Size);
        }

        // Assert: the fenced writes fail (a write, if the mount learnt of it first, or else the close); their bytes are never shown by the fenced mount, nor written back by its next open
        Directory.Delete(signals, recursive: true);
        Assert.True(written.ExitCode == 0, written.ToString());
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.Matches("(write|close) failed: Input/output error", written.Output);
        var expected = Enumerable.Repeat((byte)'B', 512 << 10).ToArray();
        Assert.True(expected.AsSpan().SequenceEqual(seenByA), $"the fenced mount read {Describe(seenByA)}");
        "DDDDDDDDDD"u8.CopyTo(expected.AsSpan(100));
        Assert.True(expected.AsSpan().SequenceEqual(committed), $"the file holds {Describe(committed)}");
    }

    // "N bytes: n1 'x', n2 'y'" (fenced writers wrote 'A' and 'a', the successor 'B', the later open 'D').
    private static string Describe(byte[] bytes) =>
        $"{bytes.Length} bytes: {string.Join(", ", bytes.GroupBy(b => b).OrderBy(g => g.Key).Select(g => $"{g.Count()} '{(char)g.Key}'"))}";

    // SIGINT's bit in this process's ignored-signal mask (/proc/self/status, "SigIgn", hex; signal n is bit n - 1).
    private static bool SigintIgnoredHere()
    {
        const ulong sigint = 1UL << (2 - 1);
        var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("SigIgn:", StringComparison.Ordinal));
        return line is not null && (ulong.Parse(line["SigIgn:".Length..].Trim(), NumberStyles.HexNumber, CultureInfo.InvariantCulture) & sigint) != 0;
    }
}
