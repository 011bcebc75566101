using System.Security.Cryptography;
using System.Text.Json;
using Pfs.Client;
using Pfs.Tests.Fixtures;

namespace Pfs.Tests.Integration.Cli;

/// <summary>The tool's directory commands end to end against an in-process cluster (issue 11 item 9).</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
[Collection(ClusterCollection.Name)]
public sealed class TreeCommandTests(ClusterFixture fixture) : IDisposable
{
    private readonly LocalFiles _local = new();

    public void Dispose() => _local.Dispose();

    [Fact]
    public async Task MkdirWithParentsMakesEveryLevelAndLsRecursiveShowsThemParentsFirst()
    {
        var root = fixture.UniqueName("tree");

        var mkdir = await CliRunner.RunAsync(fixture.Cluster, "mkdir", "-p", $"{root}/a/b", $"{root}/c");
        var again = await CliRunner.RunAsync(fixture.Cluster, "mkdir", "-p", $"{root}/a/b");
        var ls = await CliRunner.RunAsync(fixture.Cluster, "ls", "-R", root);

        Assert.True(mkdir.ExitCode == 0, mkdir.ToString());
        Assert.True(again.ExitCode == 0, again.ToString());
        Assert.True(ls.ExitCode == 0, ls.ToString());
        var names = ls.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(line => line.Split(' ')[0]);
        Assert.Equal([$"{root}/a/", $"{root}/a/b/", $"{root}/c/"], names);
    }

    [Fact]
    public async Task MkdirRefusesAnExistingNameAMissingParentAndAFileOnThePathInOneLine()
    {
        var root = fixture.UniqueName("mkdir-bad");
        await CliRunner.RunAsync(fixture.Cluster, "mkdir", root);
        await CreateFileAsync($"{root}/file", 10);

        CliRunner.AssertFailed(await CliRunner.RunAsync(fixture.Cluster, "mkdir", root), 1, "exists");
        CliRunner.AssertFailed(await CliRunner.RunAsync(fixture.Cluster, "mkdir", $"{root}/missing/x"), 1, "missing");
        CliRunner.AssertFailed(await CliRunner.RunAsync(fixture.Cluster, "mkdir", "-p", $"{root}/file/x"), 1, "not a directory");
        CliRunner.AssertFailed(await CliRunner.RunAsync(fixture.Cluster, "mkdir", $"{root}//x"), 1, "");
    }

    [Fact]
    public async Task RmdirRemovesOnlyAnEmptyDirectoryAndRmNeedsRecursiveForOne()
    {
        var root = fixture.UniqueName("rm-tree");
        await CliRunner.RunAsync(fixture.Cluster, "mkdir", "-p", $"{root}/empty", $"{root}/full/deeper");
        await CreateFileAsync($"{root}/full/deeper/data", 5000);
        await CreateFileAsync($"{root}/full/top", 10);

        var rmdirEmpty = await CliRunner.RunAsync(fixture.Cluster, "rmdir", $"{root}/empty");
        var rmdirFull = await CliRunner.RunAsync(fixture.Cluster, "rmdir", $"{root}/full");
        var rmPlain = await CliRunner.RunAsync(fixture.Cluster, "rm", $"{root}/full");
        var fullAfterRefusals = await CliRunner.RunAsync(fixture.Cluster, "ls", "-R", $"{root}/full");
        var rmRecursive = await CliRunner.RunAsync(fixture.Cluster, "rm", "-r", $"{root}/full");
        var rmRoot = await CliRunner.RunAsync(fixture.Cluster, "rm", "-r", "/");

        Assert.True(rmdirEmpty.ExitCode == 0, rmdirEmpty.ToString());
        CliRunner.AssertFailed(rmdirFull, 1, "not empty");
        CliRunner.AssertFailed(rmPlain, 1, "rm -r");
        Assert.Equal(3, fullAfterRefusals.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length - 1);
        Assert.True(rmRecursive.ExitCode == 0, rmRecursive.ToString());
        CliRunner.AssertFailed(rmRoot, 2, "root");
        await using var client = await fixture.Cluster.ConnectAsync();
        Assert.Empty(await client.ListAsync(root).ToListAsync());
    }

    [Fact]
    public async Task MvRenamesAndMovesIntoAnExistingDirectoryAndRefusesANonEmptyTarget()
    {
        var root = fixture.UniqueName("mv");
        await CliRunner.RunAsync(fixture.Cluster, "mkdir", "-p", $"{root}/into", $"{root}/dir/sub", $"{root}/busy/x");
        await CreateFileAsync($"{root}/file", 1234);

        var intoDirectory = await CliRunner.RunAsync(fixture.Cluster, "mv", $"{root}/file", $"{root}/into");
        var rename = await CliRunner.RunAsync(fixture.Cluster, "mv", $"{root}/into/file", $"{root}/into/renamed");
        var directory = await CliRunner.RunAsync(fixture.Cluster, "mv", $"{root}/dir", $"{root}/moved");
        var intoItself = await CliRunner.RunAsync(fixture.Cluster, "mv", $"{root}/moved", $"{root}/moved/sub/x");

        Assert.True(intoDirectory.ExitCode == 0, intoDirectory.ToString());
        Assert.True(rename.ExitCode == 0, rename.ToString());
        Assert.True(directory.ExitCode == 0, directory.ToString());
        CliRunner.AssertFailed(intoItself, 1, "");
        await using var client = await fixture.Cluster.ConnectAsync();
        Assert.Equal(1234, (await client.StatAsync($"{root}/into/renamed")).Size);
        Assert.Equal(PfsEntryKind.Directory, (await client.StatAsync($"{root}/moved/sub")).Kind);
        var names = await client.ListAsync(root).Select(entry => entry.Name).Order().ToListAsync();
        Assert.Equal([$"{root}/busy", $"{root}/into", $"{root}/moved"], names);
    }

    [Fact]
    public async Task MvOfSeveralEntriesMovesThemIntoADirectoryOrNoneOfThem()
    {
        var root = fixture.UniqueName("mv-many");
        await CliRunner.RunAsync(fixture.Cluster, "mkdir", "-p", $"{root}/into", $"{root}/dir/sub");
        await CreateFileAsync($"{root}/a", 10);
        await CreateFileAsync($"{root}/b", 20);

        var missing = await CliRunner.RunAsync(fixture.Cluster, "mv", $"{root}/a", $"{root}/gone", $"{root}/into");
        var notADirectory = await CliRunner.RunAsync(fixture.Cluster, "mv", $"{root}/a", $"{root}/b", $"{root}/c");
        var tooFew = await CliRunner.RunAsync(fixture.Cluster, "mv", $"{root}/a");
        var many = await CliRunner.RunAsync(fixture.Cluster, "mv", $"{root}/a", $"{root}/b", $"{root}/dir", $"{root}/into");

        CliRunner.AssertFailed(missing, 1, "not found");
        CliRunner.AssertFailed(notADirectory, 2, $"moving 2 entries needs an existing directory to move them into; '{root}/c' is none");
        CliRunner.AssertFailed(tooFew, 2, "mv needs FROM and TO");
        Assert.True(many.ExitCode == 0, many.ToString());
        await using var client = await fixture.Cluster.ConnectAsync();
        Assert.Equal([$"{root}/into"], await client.ListAsync(root).Select(entry => entry.Name).ToListAsync());
        var moved = await client.ListAsync($"{root}/into").Select(entry => entry.Name).Order().ToListAsync();
        Assert.Equal([$"{root}/into/a", $"{root}/into/b", $"{root}/into/dir"], moved);
        Assert.Equal(20, (await client.StatAsync($"{root}/into/b")).Size);
    }


    [Fact]
    public async Task BundledAndUnknownOptionsAreNeverTakenAsPaths()
    {
        // The parser once took 'rm -rv dir' as -r and the PATHs v (the file /v, deleted too) and dir.
        var root = fixture.UniqueName("options");
        await CliRunner.RunAsync(fixture.Cluster, "mkdir", "-p", $"{root}/junk/sub", $"{root}/kept");
        await CreateFileAsync($"{root}/junk/sub/a", 10);

        var verbose = await CliRunner.RunAsync(fixture.Cluster, "rm", "-rv", $"{root}/junk");
        await using var client = await fixture.Cluster.ConnectAsync();
        Assert.Equal(10, (await client.StatAsync($"{root}/junk/sub/a")).Size);
        var unknownLong = await CliRunner.RunAsync(fixture.Cluster, "mkdir", "--bogus", $"{root}/new");
        var unknownShort = await CliRunner.RunAsync(fixture.Cluster, "mkdir", "-v", $"{root}/new");
        var afterDoubleDash = await CliRunner.RunAsync(fixture.Cluster, "mkdir", "--", $"{root}/-v");
        var force = await CliRunner.RunAsync(fixture.Cluster, "rm", "-rf", $"{root}/junk", $"{root}/never-there");

        CliRunner.AssertFailed(verbose, 2, "unrecognized option '-v' in '-rv'");
        CliRunner.AssertFailed(unknownLong, 2, "unrecognized option '--bogus'");
        CliRunner.AssertFailed(unknownShort, 2, "unrecognized option '-v'");
        Assert.True(afterDoubleDash.ExitCode == 0, afterDoubleDash.ToString());
        Assert.True(force.ExitCode == 0, force.ToString());
        Assert.Equal([$"{root}/-v", $"{root}/kept"], await client.ListAsync(root).Select(entry => entry.Name).Order(StringComparer.Ordinal).ToListAsync());
    }

    [Fact]
    public async Task APathWithATrailingSlashNamesTheDirectory()
    {
        var root = fixture.UniqueName("slash");
        await CliRunner.RunAsync(fixture.Cluster, "mkdir", "-p", $"{root}/dir/");
        await CreateFileAsync($"{root}/dir/a", 10);

        var ls = await CliRunner.RunAsync(fixture.Cluster, "ls", $"/{root}/dir/");
        var mv = await CliRunner.RunAsync(fixture.Cluster, "mv", $"{root}/dir/", $"{root}/moved/");

        Assert.True(ls.ExitCode == 0, ls.ToString());
        Assert.Contains($"{root}/dir/a", ls.Stdout, StringComparison.Ordinal);
        Assert.True(mv.ExitCode == 0, mv.ToString());
        await using var client = await fixture.Cluster.ConnectAsync();
        Assert.Equal(10, (await client.StatAsync($"{root}/moved/a")).Size);
    }

    [Fact]
    public async Task MvOfAnEntryOntoItselfSaysSoAndMovesNothing()
    {
        var root = fixture.UniqueName("mv-same");
        await CliRunner.RunAsync(fixture.Cluster, "mkdir", "-p", $"{root}/dir");
        await CreateFileAsync($"{root}/a", 10);
        await CreateFileAsync($"{root}/dir/b", 20);

        var file = await CliRunner.RunAsync(fixture.Cluster, "mv", $"{root}/a", $"/{root}/a");
        var directory = await CliRunner.RunAsync(fixture.Cluster, "mv", $"{root}/dir", $"{root}/dir");
        var intoItsOwnDirectory = await CliRunner.RunAsync(fixture.Cluster, "mv", $"{root}/a", $"{root}/dir/b", $"{root}/dir");

        CliRunner.AssertFailed(file, 1, $"'{root}/a' and '{root}/a' are the same entry; nothing was moved");
        CliRunner.AssertFailed(directory, 1, $"'{root}/dir' and '{root}/dir' are the same entry");
        CliRunner.AssertFailed(intoItsOwnDirectory, 1, $"'{root}/dir/b' and '{root}/dir/b' are the same entry");
        await using var client = await fixture.Cluster.ConnectAsync();
        var names = await client.ListAsync(root).Select(entry => entry.Name).Order().ToListAsync();
        Assert.Equal([$"{root}/a", $"{root}/dir"], names);
        Assert.Equal(20, (await client.StatAsync($"{root}/dir/b")).Size);
    }
    [Fact]
    public async Task LnIntoADirectoryNamesTheLinkAfterItsTargetAndLsTakesSeveralPaths()
    {
        var root = fixture.UniqueName("ln-into");
        await CliRunner.RunAsync(fixture.Cluster, "mkdir", "-p", $"{root}/links");
        await CreateFileAsync($"{root}/file", 300);

        var hard = await CliRunner.RunAsync(fixture.Cluster, "ln", $"{root}/file", $"{root}/links");
        var symbolic = await CliRunner.RunAsync(fixture.Cluster, "ln", "-s", "../elsewhere/target", $"{root}/links");
        var ls = await CliRunner.RunAsync(fixture.Cluster, "ls", $"{root}/file", $"{root}/links");

        Assert.True(hard.ExitCode == 0, hard.ToString());
        Assert.True(symbolic.ExitCode == 0, symbolic.ToString());
        await using var client = await fixture.Cluster.ConnectAsync();
        Assert.Equal((await client.StatAsync($"{root}/file")).Inode, (await client.StatAsync($"{root}/links/file")).Inode);
        Assert.Equal("../elsewhere/target", await client.ReadSymbolicLinkAsync($"{root}/links/target"));
        Assert.True(ls.ExitCode == 0, ls.ToString());
        var names = ls.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(line => line.Split(' ')[0]).ToList();
        Assert.Equal([$"{root}/file", $"{root}/links/file", $"{root}/links/target"], names);
    }

    [Fact]
    public async Task LsOfSeveralPathsSaysWhichOneIsMissingAndStillListsTheOthers()
    {
        var root = fixture.UniqueName("ls-missing");
        await CliRunner.RunAsync(fixture.Cluster, "mkdir", "-p", $"{root}/dir");
        await CreateFileAsync($"{root}/dir/a", 10);
        await CreateFileAsync($"{root}/file", 20);

        var ls = await CliRunner.RunAsync(fixture.Cluster, "ls", $"{root}/dir", $"{root}/missing", $"{root}/file");

        Assert.True(ls.ExitCode == 1, ls.ToString());
        var names = ls.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(line => line.Split(' ')[0]).ToList();
        Assert.Equal([$"{root}/dir/a", $"{root}/file"], names);
        var error = Assert.Single(ls.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("pfs: ", error, StringComparison.Ordinal);
        Assert.Contains($"{root}/missing", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LnMakesSymbolicAndHardLinksThatStatAndLsLongShow()
    {
        var root = fixture.UniqueName("ln");
        await CliRunner.RunAsync(fixture.Cluster, "mkdir", root);
        await CreateFileAsync($"{root}/file", 300);

        var symbolic = await CliRunner.RunAsync(fixture.Cluster, "ln", "-s", "../elsewhere/x", $"{root}/link");
        var hard = await CliRunner.RunAsync(fixture.Cluster, "ln", $"{root}/file", $"{root}/hard");
        var stat = await CliRunner.RunAsync(fixture.Cluster, "stat", $"{root}/link");
        var ls = await CliRunner.RunAsync(fixture.Cluster, "ls", "-l", root);

        Assert.True(symbolic.ExitCode == 0, symbolic.ToString());
        Assert.True(hard.ExitCode == 0, hard.ToString());
        Assert.Contains("kind:          symbolic link", stat.Stdout);
        Assert.Contains("target:        ../elsewhere/x", stat.Stdout);
        var rows = ls.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)[1..]
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries)).ToList();
        var file = Assert.Single(rows, row => row[^1] == $"{root}/file");
        Assert.Equal(("-", "2", "300"), (file[0][..1], file[1], file[4]));
        var link = Assert.Single(rows, row => row.Contains($"{root}/link"));
        Assert.Equal(("l", "../elsewhere/x"), (link[0][..1], link[^1]));
    }

    [Fact]
    public async Task TruncateCutsAndExtendsAndStatOfADirectorySaysSo()
    {
        var root = fixture.UniqueName("truncate");
        await CliRunner.RunAsync(fixture.Cluster, "mkdir", root);
        await CreateFileAsync($"{root}/file", 10_000);

        var cut = await CliRunner.RunAsync(fixture.Cluster, "truncate", "-s", "1000", $"{root}/file");
        await using var client = await fixture.Cluster.ConnectAsync();
        var afterCut = (await client.StatAsync($"{root}/file")).Size;
        var extend = await CliRunner.RunAsync(fixture.Cluster, "truncate", "--size", "8K", $"{root}/file");
        var bad = await CliRunner.RunAsync(fixture.Cluster, "truncate", "-s", "-5", $"{root}/file");
        var stat = await CliRunner.RunAsync(fixture.Cluster, "stat", root);

        Assert.True(cut.ExitCode == 0, cut.ToString());
        Assert.Equal(1000, afterCut);
        Assert.True(extend.ExitCode == 0, extend.ToString());
        await using (var file = await client.OpenAsync($"{root}/file", PfsOpenMode.Read))
        {
            var bytes = new byte[8192];
            Assert.Equal(8192, await file.ReadAsync(bytes, 0));
            Assert.Equal(TestData.Bytes(10_000, seed: 7)[..1000], bytes[..1000]);
            Assert.All(bytes[1000..], b => Assert.Equal(0, b));
        }

        CliRunner.AssertFailed(bad, 2, "--size");
        Assert.Contains("kind:          directory", stat.Stdout);
        Assert.Contains("mode:          d", stat.Stdout);
    }

    [Fact]
    public async Task PutRecursiveThenGetRecursiveGivesBackTheSameTreeModesAndLinks()
    {
        // Arrange: a local tree with nested and empty directories, an empty file, a link and modes
        var source = Directory.CreateDirectory(_local.PathOf("src"));
        Directory.CreateDirectory(Path.Join(source.FullName, "docs", "deep"));
        Directory.CreateDirectory(Path.Join(source.FullName, "empty"));
        var files = new Dictionary<string, byte[]>
        {
            ["top.bin"] = TestData.Bytes(3 * 1024 * 1024 + 17, seed: 1),
            ["docs/readme.txt"] = TestData.Bytes(1000, seed: 2),
            ["docs/deep/zero"] = [],
        };
        foreach (var (path, contents) in files)
        {
            await File.WriteAllBytesAsync(Path.Join(source.FullName, path), contents);
        }

        File.SetUnixFileMode(Path.Join(source.FullName, "docs/readme.txt"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead);
        File.CreateSymbolicLink(Path.Join(source.FullName, "docs", "link"), "../top.bin");
        var name = fixture.UniqueName("tree-copy");
        var back = _local.PathOf("back");

        // Act
        var put = await CliRunner.RunAsync(fixture.Cluster, "put", "-r", source.FullName, name, "-b", "64K");
        var get = await CliRunner.RunAsync(fixture.Cluster, "get", "-r", name, back);
        // Into an existing directory, under the tree's own name, as cp -r does; once that exists too, refused.
        var putInto = await CliRunner.RunAsync(fixture.Cluster, "put", "-r", source.FullName, name);
        var putAgain = await CliRunner.RunAsync(fixture.Cluster, "put", "-r", source.FullName, name);

        // Assert
        Assert.True(put.ExitCode == 0, put.ToString());
        Assert.Contains($"put -r {name} (7 entries): {files.Values.Sum(f => f.Length)} bytes", put.Stdout);
        Assert.True(putInto.ExitCode == 0, putInto.ToString());
        Assert.Contains($"put -r {name}/src (7 entries)", putInto.Stdout);
        CliRunner.AssertFailed(putAgain, 1, $"'{name}/src' already exists");
        Assert.True(get.ExitCode == 0, get.ToString());
        foreach (var (path, contents) in files)
        {
            Assert.Equal(SHA256.HashData(contents), SHA256.HashData(await File.ReadAllBytesAsync(Path.Join(back, path))));
        }

        Assert.True(Directory.Exists(Path.Join(back, "empty")));
        Assert.Equal("../top.bin", new FileInfo(Path.Join(back, "docs", "link")).LinkTarget);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead, File.GetUnixFileMode(Path.Join(back, "docs/readme.txt")));
        Assert.Equal(File.GetLastWriteTimeUtc(Path.Join(source.FullName, "top.bin")), File.GetLastWriteTimeUtc(Path.Join(back, "top.bin")), TimeSpan.FromMilliseconds(1));
        Assert.Equal(["back", "src"], Directory.GetFileSystemEntries(_local.Root).Select(Path.GetFileName).Order());
        var ls = await CliRunner.RunAsync(fixture.Cluster, "ls", "--json", name);
        Assert.Equal([$"{name}/docs", $"{name}/empty", $"{name}/src", $"{name}/top.bin"],
            JsonDocument.Parse(ls.Stdout).RootElement.EnumerateArray().Select(entry => entry.GetProperty("name").GetString()));
    }

    [Fact]
    public async Task PutRecursiveRefusesAFifoBeforeWritingAnything()
    {
        var source = Directory.CreateDirectory(_local.PathOf("with-fifo"));
        await File.WriteAllBytesAsync(Path.Join(source.FullName, "a"), [1, 2, 3]);
        using (var mkfifo = System.Diagnostics.Process.Start("mkfifo", Path.Join(source.FullName, "pipe")))
        {
            await mkfifo.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }

        var name = fixture.UniqueName("fifo-tree");

        var put = await CliRunner.RunAsync(fixture.Cluster, "put", "-r", source.FullName, name);

        CliRunner.AssertFailed(put, 2, "not a regular file");
        await using var client = await fixture.Cluster.ConnectAsync();
        Assert.DoesNotContain(await client.ListAsync(), entry => entry.Name.Contains("fifo-tree", StringComparison.Ordinal));
    }

    [Fact]
    public async Task ATreeOfManyFilesMovesInAndOutWithSeveralAtOnceAndRmRecursiveLeavesNothing()
    {
        // Arrange: 6 directories of 30 files each (sizes from empty to a few blocks), links between them
        var source = Directory.CreateDirectory(_local.PathOf("many"));
        var files = new Dictionary<string, byte[]>();
        for (var d = 0; d < 6; d++)
        {
            var directory = d % 2 == 0 ? $"d{d}" : $"d{d - 1}/sub{d}";
            Directory.CreateDirectory(Path.Join(source.FullName, directory));
            for (var f = 0; f < 30; f++)
            {
                var relative = $"{directory}/f{f:00}";
                files[relative] = TestData.Bytes((d * 30 + f) * 977 % 150_000, seed: d * 100 + f);
                await File.WriteAllBytesAsync(Path.Join(source.FullName, relative), files[relative]);
            }

            File.CreateSymbolicLink(Path.Join(source.FullName, directory, "link"), "f00");
        }

        var name = fixture.UniqueName("many");
        var back = _local.PathOf("many-back");

        // Act
        var put = await CliRunner.RunAsync(fixture.Cluster, "put", "-r", "-j", "16", "-b", "16K", source.FullName, name);
        var get = await CliRunner.RunAsync(fixture.Cluster, "get", "-r", name, back);
        var rm = await CliRunner.RunAsync(fixture.Cluster, "rm", "-r", "--jobs", "4", name);

        // Assert: every byte, every link, and nothing left in Pfs
        Assert.True(put.ExitCode == 0, put.ToString());
        Assert.Contains($"put -r {name} (192 entries): {files.Values.Sum(f => (long)f.Length)} bytes", put.Stdout);
        Assert.True(get.ExitCode == 0, get.ToString());
        Assert.Equal(files.Keys.Order(StringComparer.Ordinal),
            Directory.EnumerateFiles(back, "f*", SearchOption.AllDirectories).Select(path => Path.GetRelativePath(back, path)).Order(StringComparer.Ordinal));
        foreach (var (path, contents) in files)
        {
            var copied = await File.ReadAllBytesAsync(Path.Join(back, path));
            Assert.True(contents.AsSpan().SequenceEqual(copied), path);
        }

        Assert.All(Directory.EnumerateFileSystemEntries(back, "link", SearchOption.AllDirectories), link => Assert.Equal("f00", new FileInfo(link).LinkTarget));
        Assert.True(rm.ExitCode == 0, rm.ToString());
        await using var client = await fixture.Cluster.ConnectAsync();
        var gone = await Assert.ThrowsAsync<PfsException>(() => client.StatAsync(name));
        Assert.Equal(PfsErrorCode.NotFound, gone.Code);
    }

    [Fact]
    public async Task JobsIsRefusedInOneLineWhenOutOfRangeOrWithoutRecursiveAndNothingIsWritten()
    {
        var source = Directory.CreateDirectory(_local.PathOf("jobs"));
        var file = Path.Join(source.FullName, "a");
        await File.WriteAllBytesAsync(file, [1, 2, 3]);
        var name = fixture.UniqueName("jobs");

        var zero = await CliRunner.RunAsync(fixture.Cluster, "put", "-r", "-j", "0", source.FullName, name);
        var many = await CliRunner.RunAsync(fixture.Cluster, "get", "-r", "--jobs", "100000", name, _local.PathOf("jobs-back"));
        var word = await CliRunner.RunAsync(fixture.Cluster, "rm", "-r", "-j", "all", name);
        var plainPut = await CliRunner.RunAsync(fixture.Cluster, "put", "-j", "4", file, name);
        var plainRm = await CliRunner.RunAsync(fixture.Cluster, "rm", "-j", "4", name);

        CliRunner.AssertFailed(zero, 2, "--jobs '0' must be a whole number from 1 to 256");
        CliRunner.AssertFailed(many, 2, "--jobs '100000'");
        CliRunner.AssertFailed(word, 2, "--jobs 'all'");
        CliRunner.AssertFailed(plainPut, 2, "--jobs goes with -r only");
        CliRunner.AssertFailed(plainRm, 2, "--jobs goes with -r only");
        await using var client = await fixture.Cluster.ConnectAsync();
        Assert.DoesNotContain(await client.ListAsync(), entry => entry.Name.Contains(name, StringComparison.Ordinal));
        Assert.False(Path.Exists(_local.PathOf("jobs-back")));
    }

    [Fact]
    public async Task PutRecursiveThatFailsPartWayLeavesNothingBehindWhateverTheJobs()
    {
        // A local name Pfs refuses (a backslash) among files copied in parallel: the copy fails part-way.
        var source = Directory.CreateDirectory(_local.PathOf("bad-name"));
        for (var i = 0; i < 40; i++)
        {
            await File.WriteAllBytesAsync(Path.Join(source.FullName, $"f{i:00}"), TestData.Bytes(3000, seed: i));
        }

        await File.WriteAllBytesAsync(Path.Join(source.FullName, "f20\\odd"), [1]);
        var name = fixture.UniqueName("bad-name");

        var put = await CliRunner.RunAsync(fixture.Cluster, "put", "-r", "-j", "8", source.FullName, name);

        CliRunner.AssertFailed(put, 1, "f20\\odd");
        await using var client = await fixture.Cluster.ConnectAsync();
        Assert.DoesNotContain(await client.ListAsync(), entry => entry.Name.Contains("bad-name", StringComparison.Ordinal));
    }

    private async Task CreateFileAsync(string path, int size)
    {
        await using var client = await fixture.Cluster.ConnectAsync();
        await client.CreateAsync(path, new PfsCreateOptions { StripeWidth = 2, BlockSize = 4096 });
        await using var file = await client.OpenAsync(path, PfsOpenMode.Write);
        await file.WriteAsync(TestData.Bytes(size, seed: 7), 0);
    }
}
