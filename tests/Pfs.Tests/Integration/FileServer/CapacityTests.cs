using Pfs.LocalCluster;

namespace Pfs.Tests.Integration.FileServer;

/// <summary>The capacity a mount's statfs shows: every disk the file servers keep data on, each once.</summary>
public sealed class CapacityTests
{
    [Fact]
    public async Task ServersSharingADiskCountItOnceAndAServerOnAnotherDiskAddsItsOwn()
    {
        var root = Directory.CreateTempSubdirectory("pfs-capacity-").FullName;
        var memory = Directory.CreateDirectory(Path.Combine("/dev/shm", "pfs-capacity-" + Guid.NewGuid().ToString("N"))).FullName;
        try
        {
            // fs0 and fs1 in the temp directory's file system; fs2 on the tmpfs of /dev/shm.
            Directory.CreateSymbolicLink(Path.Combine(root, "fs2"), memory);
            await using var cluster = await PfsCluster.StartAsync(fileServers: 3, dataRoot: root);
            await using var client = await cluster.ConnectAsync();

            var (total, _, available) = await client.GetCapacityAsync();

            var disk = new DriveInfo(root);
            var shm = new DriveInfo(memory);
            Assert.InRange(total, disk.TotalSize + shm.TotalSize - (4L << 20), disk.TotalSize + shm.TotalSize + (4L << 20));
            Assert.InRange(available, disk.AvailableFreeSpace + shm.AvailableFreeSpace - (1L << 30), disk.AvailableFreeSpace + shm.AvailableFreeSpace + (1L << 30));
        }
        finally
        {
            Directory.Delete(memory, recursive: true);
            Directory.Delete(root, recursive: true);
        }
    }
}
