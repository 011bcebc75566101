using System.Security.Cryptography;
using Pfs.Client;
using Pfs.Mount;

namespace Pfs.Tests.Integration.Mount;

/// <summary>
/// atime and mtime set through the mount by real programs (touch, cp, python3's os.utime) stay what
/// they asked for: seen through mount A, through mount B (which has not cached the file) and through
/// a fresh client, after the mount's writer closes have reached the metadata server.
/// </summary>
[Collection(MountCollection.Name)]
public sealed class TimeTests(MountFixture fixture)
{
    private static readonly DateTimeOffset Y2001 = new(2001, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Y2002 = new(2002, 2, 2, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Y2010 = new(2010, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset Last = new(9999, 12, 31, 23, 59, 59, 999, TimeSpan.Zero);
    private const string Touch2010 = "touch -d '2010-01-01 00:00:00 UTC'";

    [Fact]
    public async Task TouchWithADateOnAnExistingFileKeepsTheDate()
    {
        await using var client = await fixture.Cluster.ConnectAsync();
        var dir = fixture.NewDirectory("touch-d");
        var onA = Path.Combine(fixture.A.MountPoint, dir);
        await File.WriteAllTextAsync(Path.Combine(onA, "f"), "some bytes");

        // touch opens the file for writing, futimens, and closes it without writing.
        await Programs.ShAsync($"{Touch2010} f", onA);
        await WritersClosedAsync(client);

        Assert.All(await ViewsAsync(client, dir, "f"), view => Assert.Equal(new Times(Y2010, Y2010), view));
        Assert.Equal(10, (await client.StatAsync($"{dir}/f")).Size);
    }

    [Fact]
    public async Task TouchOfOneTimeLeavesTheOtherAsItWas()
    {
        await using var client = await fixture.Cluster.ConnectAsync();
        var dir = fixture.NewDirectory("touch-am");
        var onA = Path.Combine(fixture.A.MountPoint, dir);
        foreach (var name in (string[])["a", "m", "a-now", "m-now"])
        {
            var path = Path.Combine(onA, name);
            await File.WriteAllTextAsync(path, name);
            // By path (no open, nothing closed after it): the times every case starts from.
            File.SetLastAccessTimeUtc(path, Y2001.UtcDateTime);
            File.SetLastWriteTimeUtc(path, Y2002.UtcDateTime);
        }

        var before = DateTimeOffset.UtcNow.AddSeconds(-1);
        // The kernel sends FATTR_ATIME or FATTR_MTIME alone (utimensat's UTIME_OMIT for the other),
        // with FATTR_*_NOW for touch without a date (UTIME_NOW).
        await Programs.ShAsync($"{Touch2010} -a a && {Touch2010} -m m && touch -a a-now && touch -m m-now", onA);
        await WritersClosedAsync(client);
        var after = DateTimeOffset.UtcNow.AddSeconds(1);

        Assert.All(await ViewsAsync(client, dir, "a"), view => Assert.Equal(new Times(Y2010, Y2002), view));
        Assert.All(await ViewsAsync(client, dir, "m"), view => Assert.Equal(new Times(Y2001, Y2010), view));
        var aNow = await AgreedAsync(client, dir, "a-now");
        Assert.Equal(Y2002, aNow.Modified);
        Assert.InRange(aNow.Accessed, before, after);
        var mNow = await AgreedAsync(client, dir, "m-now");
        Assert.Equal(Y2001, mNow.Accessed);
        Assert.InRange(mNow.Modified, before, after);
    }

    [Fact]
    public async Task TruncatingAnEmptyFileOnOpenStillMovesMtime()
    {
        await using var client = await fixture.Cluster.ConnectAsync();
        var dir = fixture.NewDirectory("trunc-empty");
        var path = Path.Combine(fixture.A.MountPoint, dir, "empty");
        await File.WriteAllBytesAsync(path, []);
        File.SetLastAccessTimeUtc(path, Y2001.UtcDateTime);
        File.SetLastWriteTimeUtc(path, Y2002.UtcDateTime);

        // O_TRUNC changes no byte here, so no writer's close moves mtime; open(2) must, as POSIX says.
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);
        await Programs.ShAsync(": > empty", Path.GetDirectoryName(path)!);
        await WritersClosedAsync(client);
        var after = DateTimeOffset.UtcNow.AddSeconds(1);

        var times = await AgreedAsync(client, dir, "empty");
        Assert.Equal(Y2001, times.Accessed);
        Assert.InRange(times.Modified, before, after);
    }

    [Fact]
    public async Task CopyPreservingTimestampsKeepsThemOnANewAndAnExistingFile()
    {
        await using var client = await fixture.Cluster.ConnectAsync();
        var dir = fixture.NewDirectory("cp-p");
        var onA = Path.Combine(fixture.A.MountPoint, dir);
        var local = Directory.CreateTempSubdirectory("pfs-cp-p-").FullName;
        try
        {
            var source = Path.Combine(local, "source");
            await File.WriteAllBytesAsync(source, RandomNumberGenerator.GetBytes(300_000));
            await File.WriteAllTextAsync(Path.Combine(onA, "existing"), "older and shorter");
            File.SetLastWriteTimeUtc(source, Y2002.UtcDateTime);

            // cp writes the bytes, then futimens, then closes: the set times must outlive the close.
            await Programs.ShAsync($"cp --preserve=timestamps '{source}' new && cp --preserve=timestamps '{source}' existing", onA);
            await WritersClosedAsync(client);

            // cp's read of the source may move its atime first (relatime): only mtime is known here.
            foreach (var name in (string[])["new", "existing"])
            {
                var times = await AgreedAsync(client, dir, name);
                Assert.Equal(Y2002, times.Modified);
                Assert.Equal(300_000, (await client.StatAsync($"{dir}/{name}")).Size);
            }
        }
        finally
        {
            Directory.Delete(local, recursive: true);
        }
    }

    [Python3Fact]
    public async Task FutimensAfterWritesSticksAndOnlyLaterWritesMoveMtime()
    {
        await using var client = await fixture.Cluster.ConnectAsync();
        var dir = fixture.NewDirectory("futimens");
        var before = DateTimeOffset.UtcNow.AddSeconds(-1);
        await Programs.PythonAsync("""
            import ctypes, os
            libc = ctypes.CDLL(None, use_errno=True)
            class timespec(ctypes.Structure):
                _fields_ = [('tv_sec', ctypes.c_long), ('tv_nsec', ctypes.c_long)]
            UTIME_OMIT = (1 << 30) - 2
            def futimens(fd, atime, mtime):
                if libc.futimens(fd, (timespec * 2)(timespec(*atime), timespec(*mtime))) != 0:
                    raise OSError(ctypes.get_errno(), 'futimens')
            y2001, y2002, y2010 = 978307200, 1012608000, 1262304000
            fd = os.open('atime-only', os.O_WRONLY | os.O_CREAT, 0o644)
            os.write(fd, b'a' * 5000)
            futimens(fd, (y2010, 0), (0, UTIME_OMIT))
            os.close(fd)
            fd = os.open('written-after', os.O_WRONLY | os.O_CREAT, 0o644)
            os.write(fd, b'b' * 5000)
            os.utime(fd, ns=(y2001 * 10**9, y2002 * 10**9))
            os.write(fd, b'c' * 5000)
            os.close(fd)
            """, Path.Combine(fixture.A.MountPoint, dir));
        await WritersClosedAsync(client);
        var after = DateTimeOffset.UtcNow.AddSeconds(1);

        // The writes came before the explicit atime: they moved mtime, but the close must not move atime.
        var atimeOnly = await AgreedAsync(client, dir, "atime-only");
        Assert.Equal(Y2010, atimeOnly.Accessed);
        Assert.InRange(atimeOnly.Modified, before, after);
        // A write after the explicit times moves mtime again.
        var writtenAfter = await AgreedAsync(client, dir, "written-after");
        Assert.InRange(writtenAfter.Modified, before, after);
    }

    [Python3Fact]
    public async Task UtimeRightAfterTouchIsStoredAsShownAndTimesPfsCannotKeepAreRefused()
    {
        await using var client = await fixture.Cluster.ConnectAsync();
        var dir = fixture.NewDirectory("utime-range");
        var onA = Path.Combine(fixture.A.MountPoint, dir);
        await File.WriteAllTextAsync(Path.Combine(onA, "f"), "x");
        await File.WriteAllTextAsync(Path.Combine(onA, "kept"), "x");
        File.SetLastAccessTimeUtc(Path.Combine(onA, "kept"), Y2001.UtcDateTime);
        File.SetLastWriteTimeUtc(Path.Combine(onA, "kept"), Y2002.UtcDateTime);
        // The last millisecond Pfs keeps (year 9999) is set, and shown as stored.
        await File.WriteAllTextAsync(Path.Combine(onA, "last"), "x");
        File.SetLastAccessTimeUtc(Path.Combine(onA, "last"), Y2001.UtcDateTime);
        File.SetLastWriteTimeUtc(Path.Combine(onA, "last"), Last.UtcDateTime);

        // touch's close may reach Pfs after the utime that follows it: it must not undo it.
        await Programs.ShAsync($"{Touch2010} -m f", onA);
        var output = await Programs.PythonAsync("""
            import errno, os
            # An atime in 2128 (5e9 s, past 32-bit seconds) and an mtime of 0: both kept.
            os.utime('f', ns=(5_000_000_000_000_000_000, 0))
            # Year 160000, the first second of year 10000, and year -1200: beyond what Pfs keeps.
            for times in ((5_000_000_000_000_000_000_000, 0), (0, 253402300800 * 10**9), (0, -100_000_000_000 * 10**9)):
                try:
                    os.utime('kept', ns=times)
                    print('set')
                except OSError as e:
                    print(errno.errorcode[e.errno])
            """, onA);
        await WritersClosedAsync(client);

        Assert.Equal("EINVAL\nEINVAL\nEINVAL\n", output);
        var y2128 = DateTimeOffset.FromUnixTimeSeconds(5_000_000_000);
        Assert.All(await ViewsAsync(client, dir, "f"), view => Assert.Equal(new Times(y2128, DateTimeOffset.UnixEpoch), view));
        Assert.All(await ViewsAsync(client, dir, "kept"), view => Assert.Equal(new Times(Y2001, Y2002), view));
        Assert.All(await ViewsAsync(client, dir, "last"), view => Assert.Equal(new Times(Y2001, Last), view));
    }

    private sealed record Times(DateTimeOffset Accessed, DateTimeOffset Modified);

    /// <summary>
    /// The times of <paramref name="dir"/>/<paramref name="name"/> through mount A, mount B and the
    /// fresh <paramref name="client"/> (last): the metadata server's, not one mount's cache.
    /// </summary>
    private async Task<Times[]> ViewsAsync(PfsClient client, string dir, string name)
    {
        Times Through(PfsMount mount)
        {
            var path = Path.Combine(mount.MountPoint, dir, name);
            return new(new DateTimeOffset(File.GetLastAccessTimeUtc(path)), new DateTimeOffset(File.GetLastWriteTimeUtc(path)));
        }

        var info = await client.StatAsync($"{dir}/{name}");
        return [Through(fixture.A), Through(fixture.B), new(info.Accessed, info.Modified)];
    }

    /// <summary>The times every view of <see cref="ViewsAsync"/> agrees on (asserted).</summary>
    private async Task<Times> AgreedAsync(PfsClient client, string dir, string name)
    {
        var views = await ViewsAsync(client, dir, name);
        Assert.All(views, view => Assert.Equal(views[^1], view));
        return views[^1];
    }

    /// <summary>
    /// The kernel sends RELEASE after close(2) has returned: wait until the mounts' Pfs opens for
    /// writing are closed, so whatever those closes record is in.
    /// </summary>
    private static Task WritersClosedAsync(PfsClient client) =>
        Fixtures.Wait.UntilAsync(async () => (await client.GetClusterStatusAsync()).OpenForWrite == 0, "the mounts' writers closed");
}

/// <summary>A test that needs python3: skipped where it is missing.</summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class Python3FactAttribute : FactAttribute
{
    public Python3FactAttribute()
    {
        if (!Programs.Has("python3"))
        {
            Skip = "python3 is not installed (.ci/run installs it)";
        }
    }
}
