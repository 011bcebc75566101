using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using Pfs.FileServer.Storage;
using static Pfs.Tests.Unit.FileServer.BlockStoreTesting;

namespace Pfs.Tests.Unit.FileServer;

// A stage's bytes go to the disk while the writer sends them, not all at its closing fsync: the page
// cache's own view of the shadow (cachestat(2): how many of its pages are dirty) shows it.
public sealed partial class EagerWritebackTests : IDisposable
{
    private const int MiB = 1 << 20;
    private const int PageBytes = 4096;

    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public void SubmissionsComeOncePerThresholdOfBytesWrittenAndNeverWhenOff()
    {
        // Arrange
        var path = Path.Combine(_directory.FullPath, "counted");
        using var file = File.OpenHandle(path, FileMode.Create, FileAccess.ReadWrite);
        var every = new EagerWriteback(everyBytes: MiB);
        var off = new EagerWriteback(everyBytes: 0);
        var chunk = new byte[MiB / 2];

        // Act
        for (var i = 0; i < 5; i++)
        {
            RandomAccess.Write(file, chunk, (long)i * chunk.Length);
            every.Wrote(file, chunk.Length);
            off.Wrote(file, chunk.Length);
        }

        // Assert: 2.5 MiB written, a submission at each full MiB.
        Assert.Equal(OperatingSystem.IsLinux() ? 2 : 0, every.Submissions);
        Assert.Equal(0, off.Submissions);
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public async Task AStagedWriterOfManyMegabytesLeavesFewDirtyPagesForItsFlush()
    {
        // Arrange: the same bytes once through a plain file (what the page cache does on its own) and once staged.
        var store = NewStore(_directory);
        var staged = NewStaged(store);
        var key = new ObjectKey("eager", 0x51);
        var writer = NewWriter();
        var block = new byte[MiB];
        Random.Shared.NextBytes(block);
        const int blocks = 24;
        var plainPath = Path.Combine(_directory.FullPath, "plain");

        // Act
        using var plain = File.OpenHandle(plainPath, FileMode.Create, FileAccess.ReadWrite);
        for (var i = 0; i < blocks; i++)
        {
            RandomAccess.Write(plain, block, (long)i * MiB);
            await staged.WriteAsync(key, writer, [new ObjectSegment((long)i * MiB, block)], sync: false).AsTask().WaitAsync(TestTimeout);
        }

        var stage = staged.StageOf(key) ?? throw new InvalidOperationException("no stage");
        var plainDirty = DirtyBytes(plainPath);
        var stagedDirty = DirtyBytes(stage.ShadowPath);

        // Assert: left alone, the page cache kept (nearly) all 24 MiB dirty; the stage at most what came
        // after its last submission (under 4 MiB), so the flush at the close has little left to write.
        Assert.True(plainDirty is not null && stagedDirty is not null, "cachestat(2) failed: this test needs Linux 6.5 or later");
        Assert.True(plainDirty >= blocks * MiB / 2, $"the plain file had only {plainDirty} dirty bytes: the kernel flushed it on its own, so this run shows nothing");
        Assert.True(stagedDirty < EagerWriteback.DefaultEveryBytes, $"{stagedDirty} bytes of the stage were still dirty");
        Assert.True(stage.WritebackSubmissions >= blocks * MiB / EagerWriteback.DefaultEveryBytes - 1, $"{stage.WritebackSubmissions} submissions");
    }

    // The dirty bytes of the file at `path` in the page cache; null where cachestat(2) does not exist.
    private static long? DirtyBytes(string path)
    {
        using var file = File.OpenHandle(path, FileMode.Open, FileAccess.Read);
        var range = default(CachestatRange);
        if (Cachestat(CachestatSyscall, file, ref range, out var stat, 0) != 0)
        {
            return null;
        }

        return (long)stat.Dirty * PageBytes;
    }

    private const long CachestatSyscall = 451;

    [LibraryImport("libc", EntryPoint = "syscall", SetLastError = true)]
    private static partial long Cachestat(long number, SafeFileHandle fd, ref CachestatRange range, out CachestatResult stat, uint flags);

    [StructLayout(LayoutKind.Sequential)]
    private struct CachestatRange
    {
        public ulong Offset;
        public ulong Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct CachestatResult
    {
        public ulong Cache;
        public ulong Dirty;
        public ulong Writeback;
        public ulong Evicted;
        public ulong RecentlyEvicted;
    }
}
