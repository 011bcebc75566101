using Pfs.LocalCluster;

namespace Pfs.Tests.Integration.Mount;

/// <summary>Issue 12, item 6: a metadata-server restart under a live mount does not wedge it.</summary>
public sealed class MetaRestartTests
{
    [Fact]
    public async Task CallsDuringTheOutageFailWithEioAndLaterCallsWork()
    {
        await using var cluster = await PfsCluster.StartAsync(fileServers: 2);
        var mount = await MountAt.StartAsync(cluster.MetaServerAddress, operationTimeout: TimeSpan.FromSeconds(3));
        try
        {
            var root = mount.MountPoint;
            Directory.CreateDirectory(Path.Combine(root, "before"));
            await cluster.StopMetaServerAsync();

            // Uncached names must ask the metadata server: EIO after the timeout, not a hang.
            var during = await Programs.RunAsync("python3", ["-c", """
                import os, errno, sys
                try: os.mkdir(sys.argv[1]); print('made')
                except OSError as e: print(errno.errorcode[e.errno])
                """, Path.Combine(root, "during")], timeout: TimeSpan.FromSeconds(60));
            Assert.Equal("EIO\n", during.Output);

            await cluster.StartMetaServerAsync();
            // The restarted server (in memory here) lost the namespace; the mount keeps serving it.
            await Fixtures.Wait.UntilAsync(() =>
            {
                try
                {
                    Directory.CreateDirectory(Path.Combine(root, "after"));
                    return true;
                }
                catch (IOException)
                {
                    return false;
                }
            }, "a directory can be made after the restart", TimeSpan.FromSeconds(30));
            await File.WriteAllTextAsync(Path.Combine(root, "after", "f"), "works");
            Assert.Equal("works", await File.ReadAllTextAsync(Path.Combine(root, "after", "f")));
        }
        finally
        {
            await MountAt.StopAsync(mount);
        }
    }
}
