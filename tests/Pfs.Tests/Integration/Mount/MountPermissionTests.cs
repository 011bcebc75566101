namespace Pfs.Tests.Integration.Mount;

/// <summary>
/// The mount is shared by every local user (allow_other), and the kernel checks each one against the
/// files' mode bits (default_permissions), as on a local disk. Needs root, as every mount test does:
/// the other users are real processes run under another uid with setpriv.
/// </summary>
[Collection(MountCollection.Name)]
public sealed class MountPermissionTests(MountFixture fixture)
{
    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode Public = Private | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    [Fact]
    public async Task TheKernelChecksTheModeBitsForEveryLocalUser()
    {
        // Arrange: as root, a private and a public file of uid 1000, in a directory everyone may enter
        var directory = Path.Combine(fixture.A.MountPoint, fixture.NewDirectory("modes"));
        Security.SecureClusterFixture.Chmod(directory, Public | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        var secret = Path.Combine(directory, "secret");
        var shared = Path.Combine(directory, "shared");
        await File.WriteAllTextAsync(secret, "for uid 1000 only");
        await File.WriteAllTextAsync(shared, "for everyone to read");
        Security.SecureClusterFixture.Chmod(secret, Private);
        Security.SecureClusterFixture.Chmod(shared, Public);
        foreach (var file in new[] { secret, shared })
        {
            var chown = await Programs.RunAsync("chown", ["1000:1000", file]);
            Assert.True(chown.ExitCode == 0, chown.ToString());
        }

        // Act
        var nobodyReadsSecret = await AsUser(65534, "cat", secret);
        var nobodyReadsShared = await AsUser(65534, "cat", shared);
        var nobodyWritesShared = await AsUser(65534, "sh", "-c", $"echo planted >> '{shared}'");
        var ownerReadsSecret = await AsUser(1000, "cat", secret);

        // Assert: the mount carries both options, and the kernel answers by the mode bits
        var options = File.ReadLines("/proc/mounts").Select(line => line.Split(' ')).Single(fields => fields[1] == fixture.A.MountPoint)[3].Split(',');
        Assert.Contains("default_permissions", options);
        Assert.Contains("allow_other", options);
        Assert.NotEqual(0, nobodyReadsSecret.ExitCode);
        Assert.Contains("Permission denied", nobodyReadsSecret.Error, StringComparison.Ordinal);
        Assert.True(nobodyReadsShared.ExitCode == 0, nobodyReadsShared.ToString());
        Assert.Equal("for everyone to read", nobodyReadsShared.Output);
        Assert.NotEqual(0, nobodyWritesShared.ExitCode);
        Assert.Contains("Permission denied", nobodyWritesShared.Error, StringComparison.Ordinal);
        Assert.True(ownerReadsSecret.ExitCode == 0, ownerReadsSecret.ToString());
        Assert.Equal("for uid 1000 only", ownerReadsSecret.Output);
        Assert.Equal("for everyone to read", await File.ReadAllTextAsync(shared));
    }

    /// <summary>Runs a program as <paramref name="uid"/> (same gid, no supplementary groups).</summary>
    private static Task<Programs.Result> AsUser(int uid, params string[] command) =>
        Programs.RunAsync("setpriv", [$"--reuid={uid}", $"--regid={uid}", "--clear-groups", "--", .. command], timeout: TimeSpan.FromSeconds(30));
}
