using Pfs.Client;
using Pfs.Tests.Integration.Mount;

namespace Pfs.Tests.Integration.Security;

/// <summary>A mount runs as one identity: inside its scope it works as any mount; outside, every way in is EACCES.</summary>
[Collection(SecureClusterCollection.Name)]
public sealed class ScopedMountTests(SecureClusterFixture fixture)
{
    [Fact]
    public async Task AMountOfAScopedIdentityReachesOnlyItsScope()
    {
        // Arrange: the scope and a directory beside it, each with a file
        var mine = fixture.UniqueName("mount-scope");
        var theirs = fixture.UniqueName("mount-other");
        await using (var root = await fixture.ConnectAsync(await fixture.AddIdentityAsync(fixture.UniqueName("mount-root"))))
        {
            await root.CreateDirectoryAsync(mine);
            await root.CreateDirectoryAsync(theirs);
            foreach (var path in new[] { $"{mine}/mine", $"{theirs}/secret" })
            {
                await root.CreateAsync(path, 1);
                await using var file = await root.OpenAsync(path, PfsOpenMode.Write);
                await file.WriteAsync("bytes"u8.ToArray(), 0);
            }
        }

        var key = await fixture.AddIdentityAsync(fixture.UniqueName("mount-scoped"), "/" + mine);
        var mount = await MountAt.StartAsync(fixture.Cluster.MetaServerAddress, key: key);
        try
        {
            var inside = Path.Combine(mount.MountPoint, mine);
            var outside = Path.Combine(mount.MountPoint, theirs);

            // Act / Assert: inside
            Assert.Equal("bytes", await File.ReadAllTextAsync(Path.Combine(inside, "mine")));
            await File.WriteAllTextAsync(Path.Combine(inside, "new"), "made through the mount");
            Assert.Equal(["mine", "new"], Directory.EnumerateFileSystemEntries(inside).Select(Path.GetFileName).Order(StringComparer.Ordinal));

            // Outside: listing the root, reading, creating, and moving across the edge
            Assert.Throws<UnauthorizedAccessException>(() => Directory.EnumerateFileSystemEntries(mount.MountPoint).ToList());
            await Assert.ThrowsAsync<UnauthorizedAccessException>(() => File.ReadAllTextAsync(Path.Combine(outside, "secret")));
            await Assert.ThrowsAsync<UnauthorizedAccessException>(() => File.WriteAllTextAsync(Path.Combine(outside, "planted"), "x"));
            Assert.Throws<UnauthorizedAccessException>(() => File.Move(Path.Combine(inside, "mine"), Path.Combine(outside, "stolen")));
            Assert.True(File.Exists(Path.Combine(inside, "mine")));
        }
        finally
        {
            await MountAt.StopAsync(mount);
        }
    }
}
