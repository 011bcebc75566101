using System.Security.Cryptography;
using Pfs.Client;

namespace Pfs.Tests.Integration.Mount;

/// <summary>Issue 12, items 4 and 5: many processes on one mount, close-to-open across mounts, and the kernel's page cache kept block by block.</summary>
[Collection(MountCollection.Name)]
public sealed class ConsistencyTests(MountFixture fixture)
{
    [Fact]
    public async Task AfterCloseOnOneMountEveryLaterOpenElsewhereReadsTheNewBytes()
    {
        var dir = fixture.NewDirectory("c2o");
        var onA = Path.Combine(fixture.A.MountPoint, dir, "f");
        var onB = Path.Combine(fixture.B.MountPoint, dir, "f");
        await using var client = await fixture.Cluster.ConnectAsync();
        for (var round = 0; round < 20; round++)
        {
            var bytes = RandomNumberGenerator.GetBytes(1000 + (round * 7919));
            var (writer, reader) = round % 2 == 0 ? (onA, onB) : (onB, onA);
            await WriteThroughAsync(writer, bytes, create: round < 2);
            Assert.Equal(bytes, await File.ReadAllBytesAsync(reader));
            await using var file = await client.OpenAsync($"{dir}/f", PfsOpenMode.Read);
            var read = new byte[bytes.Length + 10];
            Assert.Equal(bytes.Length, await file.ReadAsync(read, 0));
            Assert.Equal(bytes, read[..bytes.Length]);
        }
    }

    [Fact]
    public async Task ANameThatARenameReplacesIsNeverMissingForReadersOnEitherMount()
    {
        // The atomic save of editors and config libraries: write a new file, then rename it over the name. On a local
        // file system an open of the name finds the old file or the new one, never neither. Before, an open here
        // reached the old file's node after the rename had freed it, and failed with ENOENT (about 180 in 200 saves).
        var dir = fixture.NewDirectory("replace");
        var onA = Path.Combine(fixture.A.MountPoint, dir);
        var onB = Path.Combine(fixture.B.MountPoint, dir);
        var output = await Programs.RunAsync("python3", ["-c", """
            import json, os, sys
            a, b = sys.argv[1], sys.argv[2]
            def save(n):
                tmp = os.path.join(a, 'cfg.tmp')
                with open(tmp, 'w') as f:
                    f.write('version %d\n' % n * 50)
                os.replace(tmp, os.path.join(a, 'cfg'))
            save(0)
            child = os.fork()
            if child == 0:
                for n in range(1, 151):
                    save(n)
                os._exit(0)
            outcomes, reads = {}, 0
            while os.waitpid(child, os.WNOHANG) == (0, 0) and reads < 20000:
                for where in (b, a):
                    try:
                        with open(os.path.join(where, 'cfg')) as f:
                            text = f.read()
                        lines = set(text.splitlines())
                        key = 'whole' if len(lines) == 1 and text.count('\n') == 50 else 'torn'
                    except OSError as e:
                        key = type(e).__name__ + ' ' + os.strerror(e.errno)
                    outcomes[key] = outcomes.get(key, 0) + 1
                    reads += 1
            print(json.dumps(outcomes, sort_keys=True))
            """, onA, onB], timeout: TimeSpan.FromSeconds(180));
        Assert.True(output.ExitCode == 0, output.ToString());
        var outcomes = System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, int>>(output.Output)!;
        Assert.True(outcomes.Keys.SequenceEqual(["whole"]) && outcomes["whole"] > 0, $"opens of a name replaced by renames: {output.Output}");
    }

    private static async Task<string> LinksAsync(string path) =>
        (await Programs.ShAsync($"stat -c %h '{path}'", "/")).Trim();

    /// <summary>Overwrites the file in place (same length or longer) and closes it.</summary>
    private static async Task WriteThroughAsync(string path, byte[] bytes, bool create)
    {
        await using var stream = new FileStream(path, create ? FileMode.OpenOrCreate : FileMode.Open, FileAccess.Write);
        await stream.WriteAsync(bytes);
    }

    [Fact]
    public async Task NamesMadeOnOneMountAppearAndGoOnTheOther()
    {
        // Names reach the other mount's kernel through notices (EntryChanged drops its cached entry),
        // which travel on their own; each wait is far shorter than the 10 s the kernel may cache a name.
        var dir = fixture.NewDirectory("names");
        var a = Path.Combine(fixture.A.MountPoint, dir);
        var b = Path.Combine(fixture.B.MountPoint, dir);
        var soon = TimeSpan.FromSeconds(3);
        Assert.Empty(Directory.GetFileSystemEntries(b));
        Assert.False(File.Exists(Path.Combine(b, "x")));
        Assert.Equal("2", await LinksAsync(b));
        await File.WriteAllTextAsync(Path.Combine(a, "x"), "x");
        Directory.CreateDirectory(Path.Combine(a, "sub"));
        await Fixtures.Wait.UntilAsync(() => File.Exists(Path.Combine(b, "x")), "B sees x (its negative lookup was dropped)", soon);
        // The directory's own attributes change with its entries: B does not keep the old link count for the 10 s the
        // kernel may cache attributes, though it never looked up 'sub'.
        await Fixtures.Wait.UntilAsync(async () => await LinksAsync(b) == "3", "B sees the directory's new link count", soon);
        Directory.CreateDirectory(Path.Combine(a, "sub2"));
        await Fixtures.Wait.UntilAsync(async () => await LinksAsync(b) == "4", "B sees the link count of a subdirectory it never looked up", soon);
        Assert.Equal(["sub", "sub2", "x"], Directory.GetFileSystemEntries(b).Select(Path.GetFileName).Order());
        Assert.Equal("x", await File.ReadAllTextAsync(Path.Combine(b, "x")));
        File.Move(Path.Combine(a, "x"), Path.Combine(a, "sub", "y"));
        await Fixtures.Wait.UntilAsync(() => !File.Exists(Path.Combine(b, "x")), "x is gone on B", soon);
        Assert.Equal("x", await File.ReadAllTextAsync(Path.Combine(b, "sub", "y")));
        File.Delete(Path.Combine(a, "sub", "y"));
        await Fixtures.Wait.UntilAsync(() => !File.Exists(Path.Combine(b, "sub", "y")), "y is gone on B", soon);
    }

    [Fact]
    public async Task AWriterOnOneMountDropsExactlyTheChangedRangesFromTheOtherMountsPageCache()
    {
        const int size = 64 << 20;
        var dir = fixture.NewDirectory("pagecache");
        var onA = Path.Combine(fixture.A.MountPoint, dir, "hot");
        var onB = Path.Combine(fixture.B.MountPoint, dir, "hot");
        var bytes = RandomNumberGenerator.GetBytes(size);
        await File.WriteAllBytesAsync(onA, bytes);

        // B reads it all: its page cache holds the file.
        Assert.Equal(bytes, await File.ReadAllBytesAsync(onB));
        var servedBefore = fixture.B.BytesRead;

        // A changes two blocks (256 KiB each, the mount's block size): one at 1 MiB, one at 40 MiB.
        var changes = new[] { (Offset: 1L << 20, Bytes: RandomNumberGenerator.GetBytes(1000)), (Offset: 40L << 20, Bytes: RandomNumberGenerator.GetBytes(5000)) };
        await using (var writer = new FileStream(onA, FileMode.Open, FileAccess.Write))
        {
            foreach (var (offset, change) in changes)
            {
                writer.Position = offset;
                await writer.WriteAsync(change);
                change.CopyTo(bytes, offset);
            }
        }

        // B opens it again and reads all of it: the new bytes, and only the two changed blocks came from the servers.
        Assert.Equal(bytes, await File.ReadAllBytesAsync(onB));
        // What reached the mount (READ requests) is what the kernel's page cache did not serve: the two
        // changed blocks, not the other 63.5 MiB. The kernel's readahead around them, and pages it evicted
        // meanwhile on a loaded machine, add some (2.5 MiB once in CI); dropping the file's whole cache is 64 MiB.
        var fetched = fixture.B.BytesRead - servedBefore;
        Assert.InRange(fetched, 1, 8L << 20);
    }

    [Fact]
    public async Task ManyProcessesWithTheSameFileOpenInAnyModesNeverDeadlock()
    {
        var dir = Path.Combine(fixture.A.MountPoint, fixture.NewDirectory("many"));
        await File.WriteAllBytesAsync(Path.Combine(dir, "shared"), new byte[4096]);
        var script = """
            import os, sys, random
            n = int(sys.argv[1])
            for i in range(30):
                mode = random.choice([os.O_RDONLY, os.O_WRONLY, os.O_RDWR, os.O_RDWR | os.O_APPEND])
                fd = os.open('shared', mode)
                if mode == os.O_RDONLY:
                    os.pread(fd, 4096, 0)
                elif mode & os.O_APPEND:
                    os.write(fd, b'%d' % n)
                else:
                    os.pwrite(fd, bytes([n]) * 16, n * 16)
                    if mode == os.O_RDWR: os.pread(fd, 16, n * 16)
                if i % 7 == 0: os.fsync(fd) if mode != os.O_RDONLY else None
                os.close(fd)
            print('done')
            """;
        var workers = Enumerable.Range(1, 12).Select(n => Programs.RunAsync("python3", ["-c", script, n.ToString(System.Globalization.CultureInfo.InvariantCulture)], dir,
            timeout: TimeSpan.FromMinutes(2))).ToList();
        var results = await Task.WhenAll(workers);
        Assert.All(results, r => Assert.True(r.ExitCode == 0 && r.Output == "done\n", r.ToString()));
        var final = await File.ReadAllBytesAsync(Path.Combine(dir, "shared"));
        for (var n = 1; n <= 12; n++)
        {
            // Every process's last pwrite is there (all of them wrote their slot at least once with high probability; check the ones that did).
            var slot = final.AsSpan(n * 16, 16).ToArray();
            Assert.True(slot.All(b => b == 0) || slot.All(b => b == n), $"slot {n} is torn: {Convert.ToHexString(slot)}");
        }
    }

    [Fact]
    public async Task AnOpenWaitingForAnotherMountsWriterIsInterruptedAndHoldsNothing()
    {
        var dir = fixture.NewDirectory("interrupt");
        var onA = Path.Combine(fixture.A.MountPoint, dir, "locked");
        var onB = Path.Combine(fixture.B.MountPoint, dir, "locked");
        await File.WriteAllTextAsync(onA, "content");

        // A holds the file open for writing (a Pfs writer lock).
        await using (var holder = new FileStream(onA, FileMode.Open, FileAccess.ReadWrite))
        {
            // A process on B opens it and must wait; a signal interrupts the open with EINTR.
            var waiter = Programs.RunAsync("python3", ["-c", """
                import os, signal, errno, sys
                def stop(signum, frame): raise InterruptedError(errno.EINTR, 'interrupted')
                signal.signal(signal.SIGALRM, stop)
                signal.setitimer(signal.ITIMER_REAL, 1.5)
                try:
                    os.open(sys.argv[1], os.O_RDONLY); print('opened')
                except InterruptedError:
                    print('EINTR')
                """, onB], timeout: TimeSpan.FromSeconds(60));
            var result = await waiter;
            Assert.Equal("EINTR\n", result.Output);
            holder.Write("!"u8);
        }

        // The interrupted open holds nothing: a library writer gets the file at once, and B reads A's bytes.
        await using var client = await fixture.Cluster.ConnectAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await using (var file = await client.OpenAsync($"{dir}/locked", PfsOpenMode.Write, timeout.Token))
        {
        }

        Assert.Equal("!ontent", await File.ReadAllTextAsync(onB));
    }
}
