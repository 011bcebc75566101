using Pfs.Fuse.Tests.MemoryFs;
using Pfs.Fuse.Tests.Support;

namespace Pfs.Fuse.Tests.Mounts;

/// <summary>
/// The kernel's caches and the notifications that correct them: with explicit data invalidation
/// and FOPEN_KEEP_CACHE, pages stay cached across opens until the file system drops exactly the
/// ranges that changed behind the kernel's back.
/// </summary>
public sealed class CacheTests
{
    private const int FileSize = 8 << 20;
    private const int Changed = 2 << 20;
    private const int Untouched = 6 << 20;

    [FuseFact]
    public async Task NotifyInvalidateInodeDropsOnlyTheChangedRange()
    {
        await using var mounted = await MountedFileSystem.StartAsync();
        var path = mounted.PathOf("hot.bin");
        var original = new byte[FileSize];
        new Random(9).NextBytes(original);
        await File.WriteAllBytesAsync(path, original);
        var node = mounted.Fs.NodeAt("hot.bin");
        var first = ReadWhole(path);
        var readsAfterFirst = Reads(mounted.Fs, node);
        var second = ReadWhole(path);
        var readsAfterSecond = Reads(mounted.Fs, node);

        // Another client changes two ranges; the file system tells the kernel about one.
        var changed = Enumerable.Repeat((byte)0xAA, 4096).ToArray();
        var unannounced = Enumerable.Repeat((byte)0xBB, 4096).ToArray();
        mounted.Fs.OverwriteBehindKernel(node, Changed, changed);
        mounted.Fs.OverwriteBehindKernel(node, Untouched, unannounced);
        Assert.True(mounted.Mount.NotifyInvalidateInode(node, Changed, changed.Length));
        var third = ReadWhole(path);
        var refetched = Reads(mounted.Fs, node).Skip(readsAfterSecond.Count).ToList();

        Assert.Equal(original, first);
        Assert.Equal(original, second);
        Assert.Equal(readsAfterFirst.Count, readsAfterSecond.Count);
        Assert.Equal(changed, third[Changed..(Changed + 4096)]);
        // The range nobody announced is still served from the page cache: stale, as expected.
        Assert.Equal(original[Untouched..(Untouched + 4096)], third[Untouched..(Untouched + 4096)]);
        Assert.NotEmpty(refetched);
        Assert.Contains(refetched, r => r.Offset <= Changed && r.Offset + r.Size >= Changed + 4096);
        Assert.DoesNotContain(refetched, r => r.Offset < Untouched + 4096 && r.Offset + r.Size > Untouched);
        Assert.True(refetched.Sum(r => (long)r.Size) <= FileSize / 4, $"re-read {refetched.Sum(r => (long)r.Size)} bytes");
    }

    [FuseFact]
    public async Task NotificationsAboutWhatTheKernelDoesNotHoldAreNotErrors()
    {
        await using var mounted = await MountedFileSystem.StartAsync();

        Assert.False(mounted.Mount.NotifyInvalidateInode(123456, 0, 0));
        Assert.False(mounted.Mount.NotifyInvalidateEntry(123456, "nothing"));
        Assert.False(mounted.Mount.NotifyDelete(123456, 654321, "nothing"));
    }

    [FuseFact]
    public async Task NotifyInvalidateEntryAndDeleteMakeTheKernelForgetNames()
    {
        var fs = new MemoryFileSystem { CacheTimeout = TimeSpan.FromHours(1) };
        await using var mounted = await MountedFileSystem.StartAsync(fs);
        await File.WriteAllTextAsync(mounted.PathOf("a"), "a");
        await File.WriteAllTextAsync(mounted.PathOf("b"), "b");
        Assert.True(File.Exists(mounted.PathOf("a")) && File.Exists(mounted.PathOf("b")));

        fs.RemoveBehindKernel(FuseFileSystem.RootId, "a");
        var b = fs.RemoveBehindKernel(FuseFileSystem.RootId, "b");
        var stillCached = File.Exists(mounted.PathOf("a")) && File.Exists(mounted.PathOf("b"));
        Assert.True(mounted.Mount.NotifyInvalidateEntry(FuseFileSystem.RootId, "a"));
        Assert.True(mounted.Mount.NotifyDelete(FuseFileSystem.RootId, b, "b"));

        Assert.True(stillCached, "the kernel should have answered from its cache before the notifications");
        Assert.False(File.Exists(mounted.PathOf("a")));
        Assert.False(File.Exists(mounted.PathOf("b")));
    }

    private static byte[] ReadWhole(string path)
    {
        // A fresh open each time, as a reader that reopens the file would; FOPEN_KEEP_CACHE keeps the pages.
        var fd = Posix.OpenOrThrow(path, Posix.O_RDONLY);
        try
        {
            var bytes = new byte[FileSize];
            var done = 0;
            while (done < bytes.Length)
            {
                var n = Posix.Pread(fd, bytes.AsSpan(done, Math.Min(1 << 20, bytes.Length - done)), done);
                Assert.NotEqual(0, n);
                done += n;
            }
            return bytes;
        }
        finally
        {
            Posix.Close(fd);
        }
    }

    private static List<IoRecord> Reads(MemoryFileSystem fs, ulong node) =>
        fs.Io.Where(r => r.Operation == "read" && r.NodeId == node).ToList();
}
