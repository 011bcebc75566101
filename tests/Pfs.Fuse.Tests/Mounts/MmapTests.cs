using System.IO.MemoryMappedFiles;
using Pfs.Fuse.Tests.Support;

namespace Pfs.Fuse.Tests.Mounts;

/// <summary>mmap(2) of files on the mount: page faults become READs, shared writes become WRITEs from the page cache.</summary>
public sealed class MmapTests
{
    [FuseFact]
    public async Task MappedReadsSeeTheFileAndSharedWritesReachTheFileSystem()
    {
        await using var mounted = await MountedFileSystem.StartAsync();
        var path = mounted.PathOf("mapped.bin");
        var data = new byte[64 * 1024];
        new Random(3).NextBytes(data);
        await File.WriteAllBytesAsync(path, data);
        var node = mounted.Fs.NodeAt("mapped.bin");

        var seen = new byte[data.Length];
        using (var map = MemoryMappedFile.CreateFromFile(path, FileMode.Open, null, 0, MemoryMappedFileAccess.ReadWrite))
        using (var view = map.CreateViewAccessor(0, data.Length, MemoryMappedFileAccess.ReadWrite))
        {
            view.ReadArray(0, seen, 0, seen.Length);
            view.WriteArray(8192, "shared write"u8.ToArray(), 0, 12);
            // msync(MS_SYNC): the dirty page is written back before this returns.
            view.Flush();
        }

        Assert.Equal(data, seen);
        var stored = mounted.Fs.ContentsOf(node);
        Assert.Equal("shared write"u8.ToArray(), stored[8192..(8192 + 12)]);
        Assert.Equal(data[..8192], stored[..8192]);
        Assert.Contains(mounted.Fs.Io, r => r.Operation == "write" && r.NodeId == node && r.Flags.HasFlag(FuseWriteFlags.Cache));
    }
}
