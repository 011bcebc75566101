namespace Pfs.Tests.Integration.Mount;

/// <summary>
/// Judged by programs nobody here wrote: tar, cp, rsync, git, sqlite3, fio and stress-ng on a real
/// mount of a real cluster (CI installs them from Debian packages in .ci/run).
/// </summary>
[Collection(MountCollection.Name)]
public sealed class RealProgramTests(MountFixture fixture)
{
    private static readonly TimeSpan Slow = TimeSpan.FromMinutes(3);

    /// <summary>A source tree to copy about: this repository's src/Pfs.Fuse and src/Pfs.Mount (sources only), in a local temp directory.</summary>
    private static async Task<string> SourceTreeAsync()
    {
        var repo = FindRepository();
        var tree = Directory.CreateTempSubdirectory("pfs-tree-").FullName;
        await Programs.ShAsync($"tar --exclude=bin --exclude=obj -C '{repo}/src' -cf - Pfs.Fuse Pfs.Mount Pfs.Client | tar -C '{tree}' -xf -", repo);
        return tree;
    }

    private static string FindRepository()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Pfs.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Pfs.sln not found above the test's folder");
    }

    [Fact]
    public async Task TarInAndOutLeavesTheTreeIdentical()
    {
        var tree = await SourceTreeAsync();
        var dir = Path.Combine(fixture.A.MountPoint, fixture.NewDirectory("tar"));
        var back = Directory.CreateTempSubdirectory("pfs-tar-back-").FullName;
        try
        {
            await Programs.ShAsync($"tar -C '{tree}' -cf - . | tar -C '{dir}' -xpf - && diff -r '{tree}' '{dir}'", dir, Slow);
            // Out again through the other mount, then compared with the original.
            var onB = dir.Replace(fixture.A.MountPoint, fixture.B.MountPoint, StringComparison.Ordinal);
            await Programs.ShAsync($"tar -C '{onB}' -cf - . | tar -C '{back}' -xpf - && diff -r '{tree}' '{back}'", back, Slow);
        }
        finally
        {
            Directory.Delete(tree, recursive: true);
            Directory.Delete(back, recursive: true);
        }
    }

    [Fact]
    public async Task CopyArchivePreservesModesAndTimes()
    {
        var tree = await SourceTreeAsync();
        var dir = Path.Combine(fixture.A.MountPoint, fixture.NewDirectory("cpa"));
        try
        {
            await Programs.ShAsync($"chmod 750 '{tree}/Pfs.Mount' && chmod 600 '{tree}/Pfs.Mount/Log.cs' && touch -d '2001-02-03 04:05:06.789' '{tree}/Pfs.Fuse/Errno.cs'", tree);
            await Programs.ShAsync($"cp -a '{tree}/.' '{dir}/' && diff -r '{tree}' '{dir}'", dir, Slow);
            // Modes, and times to the millisecond (Pfs keeps milliseconds), of every entry.
            var list = "find . -printf '%P %m %TY-%Tm-%Td %TH:%TM:%.6TS\\n' | sed -E 's/([0-9]{2}\\.[0-9]{3})[0-9]+$/\\1/' | sort";
            var original = await Programs.ShAsync(list, tree);
            var copied = await Programs.ShAsync(list, dir);
            Assert.Equal(original, copied);
            Assert.Contains("Pfs.Fuse/Errno.cs 644 2001-02-03 04:05:06.789", copied, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(tree, recursive: true);
        }
    }

    [Fact]
    public async Task RsyncWithChecksumsBothWaysFindsNothingToChange()
    {
        Assert.True(Programs.Has("rsync"), "rsync is not installed (.ci/run installs it)");
        var tree = await SourceTreeAsync();
        var dir = Path.Combine(fixture.A.MountPoint, fixture.NewDirectory("rsync"));
        var back = Directory.CreateTempSubdirectory("pfs-rsync-back-").FullName;
        try
        {
            await Programs.ShAsync($"rsync -a --checksum '{tree}/' '{dir}/' && diff -r '{tree}' '{dir}'", dir, Slow);
            await Programs.ShAsync($"rsync -a --checksum '{dir}/' '{back}/' && diff -r '{tree}' '{back}'", back, Slow);
            // A second pass both ways: checksums agree, so nothing is transferred.
            var again = await Programs.ShAsync($"rsync -a --checksum --itemize-changes '{tree}/' '{dir}/' && rsync -a --checksum --itemize-changes '{dir}/' '{back}/'", dir, Slow);
            Assert.Equal(string.Empty, again);
        }
        finally
        {
            Directory.Delete(tree, recursive: true);
            Directory.Delete(back, recursive: true);
        }
    }

    [Fact]
    public async Task GitInitAddCommitLogAndFsckFull()
    {
        Assert.True(Programs.Has("git"), "git is not installed (.ci/run installs it)");
        var tree = await SourceTreeAsync();
        var dir = Path.Combine(fixture.A.MountPoint, fixture.NewDirectory("git"));
        try
        {
            var output = await Programs.ShAsync(
                $"export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@t GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@t; " +
                $"git init -q repo && cd repo && cp -r '{tree}/.' . && git add -A && git commit -qm first && " +
                "echo change >> Pfs.Mount/Log.cs && git commit -qam second && git log --format=%s && git fsck --full && git status --porcelain",
                dir, Slow);
            Assert.Equal("second\nfirst\n", output);
        }
        finally
        {
            Directory.Delete(tree, recursive: true);
        }
    }

    [Fact]
    public async Task Sqlite3TenThousandInsertsInTransactionsPassIntegrityCheck()
    {
        Assert.True(Programs.Has("sqlite3"), "sqlite3 is not installed (.ci/run installs it)");
        var dir = Path.Combine(fixture.A.MountPoint, fixture.NewDirectory("sqlite"));
        var sql = new System.Text.StringBuilder("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);\n");
        for (var batch = 0; batch < 50; batch++)
        {
            sql.Append("BEGIN;\n");
            for (var i = 0; i < 200; i++)
            {
                sql.Append(System.Globalization.CultureInfo.InvariantCulture, $"INSERT INTO t(v) VALUES('row {batch}-{i} ' || hex(randomblob(32)));\n");
            }

            sql.Append("COMMIT;\n");
        }

        sql.Append("SELECT count(*) FROM t;\nPRAGMA integrity_check;\n");
        var result = await Programs.RunAsync("sqlite3", ["test.db"], dir, sql.ToString(), Slow);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Equal("10000\nok\n", result.Output);

        // Another mount opens the database afterwards and finds it whole.
        var onB = dir.Replace(fixture.A.MountPoint, fixture.B.MountPoint, StringComparison.Ordinal);
        var check = await Programs.RunAsync("sqlite3", ["test.db", "SELECT count(*) FROM t; PRAGMA integrity_check;"], onB, timeout: Slow);
        Assert.Equal("10000\nok\n", check.Output);
    }

    [Theory]
    [InlineData("write", "1M", "48M")]
    [InlineData("randrw", "4k", "16M")]
    public async Task FioVerifiesWhatItWrote(string pattern, string blockSize, string size)
    {
        Assert.True(Programs.Has("fio"), "fio is not installed (.ci/run installs it)");
        var dir = Path.Combine(fixture.A.MountPoint, fixture.NewDirectory("fio"));
        var result = await Programs.RunAsync("fio", [
            "--name=verify", "--filename=data", $"--size={size}", $"--bs={blockSize}", $"--rw={pattern}", "--ioengine=psync",
            "--verify=crc32c", "--do_verify=1", "--verify_fatal=1", "--number_ios=4000", "--randrepeat=1",
        ], dir, timeout: Slow);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("err= 0", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StressNgFileStressorsPassWithVerification()
    {
        Assert.True(Programs.Has("stress-ng"), "stress-ng is not installed (.ci/run installs it)");
        var dir = Path.Combine(fixture.A.MountPoint, fixture.NewDirectory("stress"));
        var result = await Programs.RunAsync("stress-ng", [
            "--temp-path", dir, "--dir", "2", "--rename", "2", "--hdd", "2", "--hdd-bytes", "8M", "--dentry", "1",
            "--timeout", "10s", "--verify", "--metrics-brief",
        ], dir, timeout: Slow);
        Assert.True(result.ExitCode == 0, result.ToString());
        Assert.Contains("successful run completed", result.Output + result.Error, StringComparison.Ordinal);
    }
}
