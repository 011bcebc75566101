using Pfs.Fuse.Tests.Support;

namespace Pfs.Fuse.Tests.Mounts;

/// <summary>Directories through a real mount: mkdir, rmdir, listings, and the errno of common mistakes.</summary>
public sealed class DirectoryTests
{
    [FuseFact]
    public async Task ADirectoryOfThreeThousandEntriesListsWholeAndRemovesOnlyWhenEmpty()
    {
        await using var mounted = await MountedFileSystem.StartAsync();
        var directory = mounted.PathOf("many");
        Directory.CreateDirectory(directory);
        var names = Enumerable.Range(0, 3000).Select(i => $"file-{i:D5}-{Guid.NewGuid():N}").ToHashSet();
        foreach (var name in names)
            File.Create(Path.Combine(directory, name)).Dispose();

        var listed = Directory.GetFiles(directory).Select(p => Path.GetFileName(p)).ToHashSet();
        var ls = (await Programs.OutputOfAsync("ls", "-1", "-a", directory)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var busy = await Programs.RunAsync("rmdir", directory);

        Assert.True(names.SetEquals(listed));
        Assert.Equal(3002, ls.Length);
        Assert.Contains(".", ls);
        Assert.Contains("..", ls);
        Assert.NotEqual(0, busy.ExitCode);
        Assert.Contains("not empty", busy.Error);

        foreach (var name in names)
            File.Delete(Path.Combine(directory, name));
        Directory.Delete(directory);
        Assert.False(Directory.Exists(directory));
        Assert.Empty(Directory.GetFileSystemEntries(mounted.Root));
    }

    [FuseFact]
    public async Task NestedDirectoriesCountTheirLinks()
    {
        await using var mounted = await MountedFileSystem.StartAsync();
        Directory.CreateDirectory(mounted.PathOf("a/b"));
        Directory.CreateDirectory(mounted.PathOf("a/c"));

        var links = await Programs.OutputOfAsync("stat", "-c", "%h %F", mounted.PathOf("a"));
        Directory.Move(mounted.PathOf("a/c"), mounted.PathOf("c"));
        var afterMove = await Programs.OutputOfAsync("stat", "-c", "%h", mounted.PathOf("a"));

        Assert.Equal("4 directory", links.Trim());
        Assert.Equal("3", afterMove.Trim());
        Assert.True(Directory.Exists(mounted.PathOf("c")));
    }

    [FuseFact]
    public async Task CommonMistakesGetTheirErrno()
    {
        await using var mounted = await MountedFileSystem.StartAsync();
        Directory.CreateDirectory(mounted.PathOf("dir"));
        await File.WriteAllTextAsync(mounted.PathOf("file"), "x");

        Assert.Equal(-Errno.ENOENT, Posix.Open(mounted.PathOf("missing"), Posix.O_RDONLY));
        Assert.Equal(-Errno.EISDIR, Posix.Open(mounted.PathOf("dir"), Posix.O_WRONLY));
        Assert.Equal(-Errno.ENOTDIR, Posix.Open(mounted.PathOf("file/inside"), Posix.O_RDONLY));
        Assert.Equal(-Errno.EEXIST, Posix.Mkdir(mounted.PathOf("dir")));
        Assert.Equal(-Errno.ENOENT, Posix.Mkdir(mounted.PathOf("missing/sub")));
        Assert.Equal(Errno.EEXIST, Posix.Rename2(mounted.PathOf("file"), mounted.PathOf("dir"), Posix.RENAME_NOREPLACE));
    }
}
