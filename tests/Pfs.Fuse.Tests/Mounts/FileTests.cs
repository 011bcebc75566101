using System.Text;
using Pfs.Fuse.Tests.Support;

namespace Pfs.Fuse.Tests.Mounts;

/// <summary>Regular files through a real mount, with the system calls programs use.</summary>
public sealed class FileTests
{
    [FuseFact]
    public async Task WritesAndPositionedReadsAtAnyOffsetRoundTrip()
    {
        await using var mounted = await MountedFileSystem.StartAsync();
        var path = mounted.PathOf("data.bin");

        var fd = Posix.OpenOrThrow(path, Posix.O_CREAT | Posix.O_RDWR);
        try
        {
            Assert.Equal(6, Posix.Pwrite(fd, "abcdef"u8, 0));
            Assert.Equal(3, Posix.Pwrite(fd, "XYZ"u8, 10_000));
            Assert.Equal(2, Posix.Pwrite(fd, "QQ"u8, 4));
            var middle = new byte[3];
            Assert.Equal(3, Posix.Pread(fd, middle, 2));
            Assert.Equal("cdQ", Encoding.ASCII.GetString(middle));
            var tail = new byte[10];
            Assert.Equal(3, Posix.Pread(fd, tail, 10_000));
            Assert.Equal("XYZ", Encoding.ASCII.GetString(tail, 0, 3));
        }
        finally
        {
            Posix.Close(fd);
        }

        var bytes = await File.ReadAllBytesAsync(path);
        Assert.Equal(10_003, bytes.Length);
        Assert.Equal("abcdQQ", Encoding.ASCII.GetString(bytes, 0, 6));
        Assert.All(bytes[6..10_000], b => Assert.Equal(0, b));
        Assert.Equal(bytes, mounted.Fs.ContentsOf(mounted.Fs.NodeAt("data.bin")));
    }

    [FuseFact]
    public async Task AppendingWritesLandAtTheEnd()
    {
        await using var mounted = await MountedFileSystem.StartAsync();
        var path = mounted.PathOf("log.txt");
        await File.WriteAllTextAsync(path, "abc");

        var fd = Posix.OpenOrThrow(path, Posix.O_WRONLY | Posix.O_APPEND);
        try
        {
            Posix.Write(fd, "def"u8);
            Posix.Write(fd, "ghi"u8);
        }
        finally
        {
            Posix.Close(fd);
        }

        Assert.Equal("abcdefghi", await File.ReadAllTextAsync(path));
    }

    [FuseFact]
    public async Task ExclusiveCreateOfAnExistingFileFailsWithEexist()
    {
        await using var mounted = await MountedFileSystem.StartAsync();
        var path = mounted.PathOf("once.txt");

        var first = Posix.Open(path, Posix.O_CREAT | Posix.O_EXCL | Posix.O_WRONLY);
        var second = Posix.Open(path, Posix.O_CREAT | Posix.O_EXCL | Posix.O_WRONLY);
        if (first >= 0)
            Posix.Close(first);
        if (second >= 0)
            Posix.Close(second);

        Assert.True(first >= 0, $"first exclusive create failed with errno {-first}");
        Assert.Equal(-Errno.EEXIST, second);
    }

    [FuseFact]
    public async Task TruncatingOpenEmptiesTheFile()
    {
        await using var mounted = await MountedFileSystem.StartAsync();
        var path = mounted.PathOf("t.txt");
        await File.WriteAllBytesAsync(path, new byte[100]);

        Posix.Close(Posix.OpenOrThrow(path, Posix.O_WRONLY | Posix.O_TRUNC));

        Assert.Equal(0, new FileInfo(path).Length);
        Assert.Empty(mounted.Fs.ContentsOf(mounted.Fs.NodeAt("t.txt")));
    }

    [FuseFact]
    public async Task TruncateAndFtruncateChangeTheSize()
    {
        await using var mounted = await MountedFileSystem.StartAsync();
        var path = mounted.PathOf("sized.bin");
        await File.WriteAllBytesAsync(path, Enumerable.Repeat((byte)7, 3000).ToArray());

        await Programs.OutputOfAsync("truncate", "-s", "5000", path);
        var grown = await File.ReadAllBytesAsync(path);
        using (var stream = new FileStream(path, FileMode.Open, FileAccess.ReadWrite))
            stream.SetLength(10);
        var shrunk = await File.ReadAllBytesAsync(path);

        Assert.Equal(5000, grown.Length);
        Assert.All(grown[..3000], b => Assert.Equal(7, b));
        Assert.All(grown[3000..], b => Assert.Equal(0, b));
        Assert.Equal(Enumerable.Repeat((byte)7, 10), shrunk);
    }

    [FuseFact]
    public async Task AnUnlinkedOpenFileKeepsWorkingUntilItsLastClose()
    {
        await using var mounted = await MountedFileSystem.StartAsync();
        var path = mounted.PathOf("doomed.txt");
        var fd = Posix.OpenOrThrow(path, Posix.O_CREAT | Posix.O_RDWR);
        ulong node;
        try
        {
            Posix.Pwrite(fd, "before"u8, 0);
            node = mounted.Fs.NodeAt("doomed.txt");

            File.Delete(path);
            Assert.False(File.Exists(path));
            Posix.Pwrite(fd, "-after"u8, 6);
            var back = new byte[32];
            var read = Posix.Pread(fd, back, 0);

            Assert.Equal("before-after", Encoding.ASCII.GetString(back, 0, read));
            Assert.True(mounted.Fs.HoldsNode(node));
        }
        finally
        {
            Posix.Close(fd);
        }

        // The last close releases the inode: the kernel forgets it and the node leaves the table.
        Assert.True(SpinWait.SpinUntil(() => !mounted.Fs.HoldsNode(node), TimeSpan.FromSeconds(10)), "the unlinked node was never forgotten");
    }

    [FuseFact]
    public async Task RenameReplacesTheTargetAndRenameTwoFlagsWork()
    {
        await using var mounted = await MountedFileSystem.StartAsync();
        string a = mounted.PathOf("a"), b = mounted.PathOf("b"), c = mounted.PathOf("c");
        await File.WriteAllTextAsync(a, "A");
        await File.WriteAllTextAsync(b, "B");
        await File.WriteAllTextAsync(c, "C");

        File.Move(a, b, overwrite: true);
        var noReplace = Posix.Rename2(b, c, Posix.RENAME_NOREPLACE);
        var exchange = Posix.Rename2(b, c, Posix.RENAME_EXCHANGE);

        Assert.False(File.Exists(a));
        Assert.Equal(Errno.EEXIST, noReplace);
        Assert.Equal(0, exchange);
        Assert.Equal("C", await File.ReadAllTextAsync(b));
        Assert.Equal("A", await File.ReadAllTextAsync(c));
    }

    [FuseFact]
    public async Task AOneMebibyteWriteArrivesAsOneRequest()
    {
        await using var mounted = await MountedFileSystem.StartAsync();
        var path = mounted.PathOf("big.bin");
        var data = new byte[4 << 20];
        new Random(5).NextBytes(data);

        var fd = Posix.OpenOrThrow(path, Posix.O_CREAT | Posix.O_WRONLY);
        try
        {
            Assert.Equal(1 << 20, Posix.Pwrite(fd, data.AsSpan(0, 1 << 20), 0));
            Assert.Equal(3 << 20, Posix.Pwrite(fd, data.AsSpan(1 << 20), 1 << 20));
        }
        finally
        {
            Posix.Close(fd);
        }

        var node = mounted.Fs.NodeAt("big.bin");
        var writes = mounted.Fs.Io.Where(r => r.Operation == "write" && r.NodeId == node).ToList();
        Assert.Equal([(0L, 1 << 20), (1L << 20, 1 << 20), (2L << 20, 1 << 20), (3L << 20, 1 << 20)], writes.Select(w => (w.Offset, w.Size)));
        Assert.Equal(1u << 20, mounted.Mount.Kernel.MaxWrite);
        Assert.Equal(data, mounted.Fs.ContentsOf(node));
    }

    [FuseFact]
    public async Task FsyncAndFallocateReachTheFileSystem()
    {
        await using var mounted = await MountedFileSystem.StartAsync();
        var path = mounted.PathOf("synced.bin");

        using (var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write))
        {
            stream.Write("x"u8);
            stream.Flush(flushToDisk: true);
        }
        await Programs.OutputOfAsync("fallocate", "-l", "8192", path);

        var node = mounted.Fs.NodeAt("synced.bin");
        Assert.Contains(mounted.Fs.Io, r => r.Operation == "fsync" && r.NodeId == node);
        Assert.Equal(8192, new FileInfo(path).Length);
        Assert.Equal((byte)'x', mounted.Fs.ContentsOf(node)[0]);
    }
}
