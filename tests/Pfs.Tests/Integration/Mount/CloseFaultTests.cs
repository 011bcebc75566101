using Pfs.LocalCluster;
using Pfs.Tests.Fixtures;

namespace Pfs.Tests.Integration.Mount;

/// <summary>
/// close(2) through the mount when the file servers are slow or out of reach: what a descriptor wrote is never
/// dropped, the file is never left locked once the servers are back, and nobody reads a size the mount's own
/// close has not caught up with.
/// </summary>
public sealed class CloseFaultTests
{
    [Fact]
    public async Task AFileDeletedWhileItsCloseIsRetriedIsGivenUpAndItsLockGoesWithTheServerStillDown()
    {
        await using var cluster = await PfsCluster.StartAsync(fileServers: 2);
        var mount = await MountAt.StartAsync(cluster.MetaServerAddress, operationTimeout: TimeSpan.FromSeconds(2));
        try
        {
            var path = Path.Combine(mount.MountPoint, "deleted-while-retried");
            await cluster.StopFileServerAsync(1);
            // The close fails (its blocks cannot reach the stopped server) and is retried in the background; then
            // the file is deleted. Before, the retries went on, holding the lock (and on a full disk, the space)
            // until the server came back or the mount stopped.
            var run = await Programs.RunAsync("python3", ["-c", """
                import errno, os, sys
                fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
                os.write(fd, os.urandom(700000))
                try: os.close(fd); print('closed')
                except OSError as e: print(errno.errorcode[e.errno])
                os.unlink(sys.argv[1]); print(os.path.exists(sys.argv[1]))
                """, path], timeout: TimeSpan.FromSeconds(60));
            Assert.True(run.Output == "EIO\nFalse\n", $"close(2) with a file server down, then unlink: {run}");

            await using var client = await cluster.ConnectAsync();
            await Wait.UntilAsync(async () => (await client.GetClusterStatusAsync()).OpenForWrite == 0,
                "the deleted file's writer is given up, its lock released, with the server still down", TimeSpan.FromSeconds(30));
            var status = await client.GetClusterStatusAsync();
            Assert.Equal((0, 0), (status.LocksHeld, status.LocksWaiting));
            Assert.False(File.Exists(path));
        }
        finally
        {
            await MountAt.StopAsync(mount);
        }
    }

    [Fact]
    public async Task ACloseWhileAFileServerIsDownFailsWithEioAndItsWritesLandOnceTheServerIsBack()
    {
        await using var cluster = await PfsCluster.StartAsync(fileServers: 2);
        var mount = await MountAt.StartAsync(cluster.MetaServerAddress, operationTimeout: TimeSpan.FromSeconds(2));
        try
        {
            var path = Path.Combine(mount.MountPoint, "written-while-down");
            // Three blocks of 256 KiB: both servers of the stripe get some.
            var content = new byte[700_000];
            Random.Shared.NextBytes(content);
            var source = Path.Combine(Path.GetTempPath(), $"pfs-close-fault-{Guid.NewGuid():N}");
            await File.WriteAllBytesAsync(source, content);
            try
            {
                await cluster.StopFileServerAsync(1);
                var close = await Programs.RunAsync("python3", ["-c", """
                    import errno, os, sys
                    data = open(sys.argv[2], 'rb').read()
                    fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
                    os.write(fd, data)
                    try: os.close(fd); print('closed')
                    except OSError as e: print(errno.errorcode[e.errno])
                    """, path, source], timeout: TimeSpan.FromSeconds(60));
                Assert.True(close.Output == "EIO\n", $"close(2) with a file server down: {close}");

                await using var client = await cluster.ConnectAsync();
                Assert.Equal(1, (await client.GetClusterStatusAsync()).OpenForWrite);
                await cluster.StartFileServerAsync(1);

                // The mount closes it again by itself: the bytes land and the lock goes, without an unmount.
                await Wait.UntilAsync(async () => (await client.GetClusterStatusAsync()).OpenForWrite == 0,
                    "the mount's writer is closed once the file server is back", TimeSpan.FromSeconds(60));
                Assert.Equal(content, await ReadAllAsync(client, "written-while-down"));
                Assert.Equal(content, await File.ReadAllBytesAsync(path));
                Assert.Equal(content.Length, new FileInfo(path).Length);
            }
            finally
            {
                File.Delete(source);
            }
        }
        finally
        {
            await MountAt.StopAsync(mount);
        }
    }

    [Fact]
    public async Task AnOpenOfAFileWhoseCloseIsRetriedTakesItsWritesBackInsteadOfWaitingForTheMountsOwnLock()
    {
        await using var cluster = await PfsCluster.StartAsync(fileServers: 2);
        var mount = await MountAt.StartAsync(cluster.MetaServerAddress, operationTimeout: TimeSpan.FromSeconds(2));
        var content = new byte[700_000];
        Random.Shared.NextBytes(content);
        var source = Path.Combine(Path.GetTempPath(), $"pfs-close-fault-{Guid.NewGuid():N}");
        await File.WriteAllBytesAsync(source, content);
        try
        {
            var path = Path.Combine(mount.MountPoint, "reopened-while-retried");
            await cluster.StopFileServerAsync(1);
            // The close fails and is retried in the background, the mount holding the file's write lock. Before, the
            // next open(2) here, even a read-only one, waited for that lock without a bound until the server was back.
            var run = await Programs.RunAsync("python3", ["-c", """
                import errno, os, sys
                data = open(sys.argv[2], 'rb').read()
                def close(fd):
                    try: os.close(fd); return 'closed'
                    except OSError as e: return errno.errorcode[e.errno]
                fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
                os.write(fd, data)
                print(close(fd))
                fd = os.open(sys.argv[1], os.O_RDONLY)
                back = b''
                while True:
                    chunk = os.read(fd, 1 << 20)
                    if not chunk: break
                    back += chunk
                print(back == data, close(fd))
                fd = os.open(sys.argv[1], os.O_WRONLY | os.O_APPEND)
                os.write(fd, b'tail')
                print(close(fd))
                """, path, source], timeout: TimeSpan.FromSeconds(60));
            Assert.True(run.Output == "EIO\nTrue closed\nEIO\n",
                $"write and close with a file server down, then read it back and append on the same mount: {run}");

            await using var client = await cluster.ConnectAsync();
            await cluster.StartFileServerAsync(1);
            await Wait.UntilAsync(async () => (await client.GetClusterStatusAsync()).OpenForWrite == 0,
                "the mount's writer is closed once the file server is back", TimeSpan.FromSeconds(60));
            byte[] expected = [.. content, .. "tail"u8];
            Assert.Equal(expected, await ReadAllAsync(client, "reopened-while-retried"));
            Assert.Equal(expected, await File.ReadAllBytesAsync(path));
        }
        finally
        {
            File.Delete(source);
            await MountAt.StopAsync(mount);
        }
    }

    [Fact]
    public async Task AWriteThatRanOutOfSpaceIsDiscardedAtItsLastCloseNotStoredLaterBehindTheProgramsBack()
    {
        var dataRoot = Path.Combine(Path.GetTempPath(), "pfs-nospace-mount-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(dataRoot);
        var tmpfs = await Programs.RunAsync("mount", ["-t", "tmpfs", "-o", "size=8m", "tmpfs", dataRoot]);
        Assert.True(tmpfs.ExitCode == 0, $"an 8 MiB tmpfs for the file server's data (this test runs as root): {tmpfs}");
        try
        {
            await using var cluster = await PfsCluster.StartAsync(fileServers: 1, dataRoot: dataRoot);
            var free = new DriveInfo(dataRoot).AvailableFreeSpace;
            var mount = await MountAt.StartAsync(cluster.MetaServerAddress, operationTimeout: TimeSpan.FromSeconds(2));
            try
            {
                // 12 MiB into 8: a write or the close says ENOSPC. Before, the mount kept the open and retried its close,
                // holding the lock and the space, and stored the writes that fit whenever space came back, though the
                // program had been told they failed.
                var path = Path.Combine(mount.MountPoint, "too-big");
                var run = await Programs.RunAsync("python3", ["-c", """
                    import errno, os, sys
                    fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
                    failed = None
                    try:
                        for i in range(12): os.write(fd, bytes([65 + i]) * (1 << 20))
                    except OSError as e: failed = errno.errorcode[e.errno]
                    try: os.close(fd)
                    except OSError as e: failed = failed or errno.errorcode[e.errno]
                    print(failed)
                    """, path], timeout: TimeSpan.FromSeconds(60));
                Assert.True(run.Output == "ENOSPC\n", $"12 MiB written into an 8 MiB disk: {run}");

                await using var client = await cluster.ConnectAsync();
                await Wait.UntilAsync(async () => (await client.GetClusterStatusAsync()).OpenForWrite == 0,
                    "the writes are given up at the last close, and the lock goes, with the disk still short of space", TimeSpan.FromSeconds(30));
                await Wait.UntilAsync(() => new DriveInfo(dataRoot).AvailableFreeSpace >= free - (1 << 20), "the writer's stage is dropped");
                Assert.Equal(0, (await client.StatAsync("too-big")).Size);
                await Wait.UntilAsync(() => new FileInfo(path).Length == 0, "the mount shows the file as it is stored", TimeSpan.FromSeconds(15));
                Assert.Empty(await File.ReadAllBytesAsync(path));
            }
            finally
            {
                await MountAt.StopAsync(mount);
            }
        }
        finally
        {
            if ((await Programs.RunAsync("umount", [dataRoot])).ExitCode != 0)
            {
                await Programs.RunAsync("umount", ["-l", dataRoot]);
            }

            Directory.Delete(dataRoot);
        }
    }

    [Fact]
    public async Task AStatWhileTheMountClosesAWriterNeverLeavesTheOldSizeInTheKernel()
    {
        await using var cluster = await PfsCluster.StartAsync(fileServers: 3);
        var mount = await MountAt.StartAsync(cluster.MetaServerAddress, parityBlocks: 1);
        using var stop = new CancellationTokenSource();
        var directory = Path.Combine(mount.MountPoint, "busy");
        Directory.CreateDirectory(directory);
        // Another program stats the directory's files all the time (a file manager, a build watching its outputs).
        var watcher = Task.Run(() =>
        {
            var looks = 0L;
            while (!stop.IsCancellationRequested)
            {
                foreach (var file in Directory.EnumerateFiles(directory))
                {
                    looks += new FileInfo(file).Exists ? 1 : 0;
                }
            }

            return looks;
        });
        try
        {
            for (var round = 0; round < 30; round++)
            {
                var path = Path.Combine(directory, $"f{round}");
                var text = $"round {round}\n";
                await File.WriteAllTextAsync(path, text);
                Assert.Equal(text, await File.ReadAllTextAsync(path));
                await File.AppendAllTextAsync(path, "more\n");
                Assert.Equal(text + "more\n", await File.ReadAllTextAsync(path));
            }
        }
        finally
        {
            await stop.CancelAsync();
            await watcher;
            await MountAt.StopAsync(mount);
        }
    }

    private static async Task<byte[]> ReadAllAsync(Pfs.Client.PfsClient client, string name)
    {
        await using var file = await client.OpenAsync(name, Pfs.Client.PfsOpenMode.Read);
        var buffer = new byte[(await file.StatAsync()).Size];
        var read = await file.ReadAsync(buffer, 0);
        return buffer[..read];
    }
}
