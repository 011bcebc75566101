using Pfs.FileServer.Storage;

namespace Pfs.Tests.Unit.FileServer;

public sealed class DiskIdentityTests : IDisposable
{
    private readonly string _onDisk = Directory.CreateTempSubdirectory("pfs-disk-").FullName;
    private readonly string _inMemory = Path.Combine("/dev/shm", "pfs-disk-" + Guid.NewGuid().ToString("N"));

    public DiskIdentityTests() => Directory.CreateDirectory(_inMemory);

    public void Dispose()
    {
        Directory.Delete(_onDisk, recursive: true);
        Directory.Delete(_inMemory, recursive: true);
    }

    [Fact]
    public void DirectoriesOnOneFileSystemShareAnIdentityAndAnotherFileSystemHasItsOwn()
    {
        var sub = Directory.CreateDirectory(Path.Combine(_onDisk, "fs0")).FullName;
        var link = Path.Combine(_onDisk, "to-memory");
        Directory.CreateSymbolicLink(link, _inMemory);

        var disk = DiskIdentity.Of(_onDisk);
        var memory = DiskIdentity.Of(_inMemory);

        Assert.Matches("^[0-9a-f]{32}$", disk);
        Assert.Equal(disk, DiskIdentity.Of(sub));
        // /dev/shm is a tmpfs of its own; a symbolic link to it is on it too.
        Assert.Matches("^[0-9a-f]{32}$", memory);
        Assert.NotEqual(disk, memory);
        Assert.Equal(memory, DiskIdentity.Of(link));
    }
}
