using System.Globalization;
using Pfs.Fuse.Tests.Support;

namespace Pfs.Fuse.Tests.Mounts;

/// <summary>stat, chmod, chown, utimes, symlinks and statfs through a real mount.</summary>
public sealed class AttributeTests
{
    [FuseFact]
    public async Task StatShowsSizeModeLinksOwnerAndTimes()
    {
        await using var mounted = await MountedFileSystem.StartAsync();
        var path = mounted.PathOf("f");
        var before = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var fd = Posix.OpenOrThrow(path, Posix.O_CREAT | Posix.O_WRONLY, mode: 0x1A0); // 0640
        Posix.Write(fd, "12345"u8);
        Posix.Close(fd);
        await Programs.OutputOfAsync("ln", path, mounted.PathOf("g"));

        var fields = (await Programs.OutputOfAsync("stat", "-c", "%s %a %F %h %u %g %X %Y %Z", path)).Trim().Split(' ', 9);
        var after = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

        Assert.Equal(["5", "640", "regular", "file", "2", "0", "0"], fields[..7].SelectMany(f => f.Split(' ')));
        foreach (var time in fields[7].Split(' ').Select(long.Parse))
            Assert.InRange(time, before - 1, after + 1);
    }

    [FuseFact]
    public async Task ChmodChownAndUtimesChangeTheAttributes()
    {
        await using var mounted = await MountedFileSystem.StartAsync();
        var path = mounted.PathOf("f");
        await File.WriteAllTextAsync(path, "x");

        File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.OtherRead);
        await Programs.OutputOfAsync("chown", "1234:5678", path);
        await Programs.OutputOfAsync("touch", "-m", "-d", "2001-02-03 04:05:06.123456789 UTC", path);
        await Programs.OutputOfAsync("touch", "-a", "-d", "1999-12-31 23:59:59 UTC", path);

        var shown = (await Programs.OutputOfAsync("stat", "-c", "%a %u %g %Y %X", path)).Trim();
        var attr = mounted.Fs.AttrOf(mounted.Fs.NodeAt("f"));

        Assert.Equal("604 1234 5678 981173106 946684799", shown);
        Assert.Equal((0x184u, 1234u, 5678u), (attr.Mode & FuseMode.PermissionMask, attr.Uid, attr.Gid));
        Assert.Equal(new FuseTime(981173106, 123456789), attr.ModifyTime);
        Assert.Equal(new FuseTime(946684799, 0), attr.AccessTime);
    }

    [FuseFact]
    public async Task SymlinksResolveAndReadBack()
    {
        await using var mounted = await MountedFileSystem.StartAsync();
        Directory.CreateDirectory(mounted.PathOf("d"));
        await File.WriteAllTextAsync(mounted.PathOf("d/target"), "through the link");

        File.CreateSymbolicLink(mounted.PathOf("link"), "d/target");
        var readlink = await Programs.OutputOfAsync("readlink", mounted.PathOf("link"));
        var lstat = await Programs.OutputOfAsync("stat", "-c", "%F %s", mounted.PathOf("link"));

        Assert.Equal("d/target", readlink.Trim());
        Assert.Equal("symbolic link 8", lstat.Trim());
        Assert.Equal("through the link", await File.ReadAllTextAsync(mounted.PathOf("link")));
        Assert.Equal("d/target", new FileInfo(mounted.PathOf("link")).LinkTarget);
    }

    [FuseFact]
    public async Task StatFsReportsTheFileSystemsFigures()
    {
        await using var mounted = await MountedFileSystem.StartAsync();

        var empty = (await Programs.OutputOfAsync("stat", "-f", "-c", "%S %b %f %a %l", mounted.Root)).Trim().Split(' ');
        await File.WriteAllBytesAsync(mounted.PathOf("mib"), new byte[1 << 20]);
        var used = (await Programs.OutputOfAsync("stat", "-f", "-c", "%f", mounted.Root)).Trim();

        Assert.Equal(["4096", (4L << 30 >> 12).ToString(CultureInfo.InvariantCulture), empty[1], empty[1], "255"], empty);
        Assert.Equal(long.Parse(empty[2], CultureInfo.InvariantCulture) - 256, long.Parse(used, CultureInfo.InvariantCulture));
    }
}
