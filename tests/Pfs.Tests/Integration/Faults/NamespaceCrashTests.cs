using Pfs.Client;
using Pfs.MetaServer;
using Pfs.Tests.Fixtures;
using Xunit.Abstractions;

namespace Pfs.Tests.Integration.Faults;

/// <summary>
/// The metadata server as a real process that kills itself (SIGKILL) at a test-only crash point right
/// after a store write, or is killed with files open; restarted from Garnet, its namespace is consistent:
/// no lost or doubled entry, each cut-off change wholly done (its store write had happened), and every
/// freed file's blocks deleted on every file server.
/// </summary>
public sealed class NamespaceCrashTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private readonly string _root = Directory.CreateTempSubdirectory("pfs-ns-crash-").FullName;
    private ProcessCluster _cluster = null!;

    public async Task InitializeAsync() =>
        _cluster = await ProcessCluster.StartAsync(_root, [Path.Combine(_root, "fs0"), Path.Combine(_root, "fs1")]);

    public async Task DisposeAsync()
    {
        await _cluster.DisposeAsync();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task ARenameCutOffAfterItsStoreWriteIsWhollyDoneAfterTheRestart()
    {
        await _cluster.StartMetaAsync(CrashPoints.RenameStored);
        var (from, to) = await WithClientAsync(async client =>
        {
            await client.CreateDirectoryAsync("from");
            await client.CreateDirectoryAsync("to");
            await client.CreateAsync("from/f", 2);
            await client.CreateAsync("to/g", 2);
            var pair = (await client.StatAsync("from/f"), await client.StatAsync("to/g"));
            await Assert.ThrowsAsync<PfsException>(() => client.RenameAsync("from/f", "to/g"));
            return pair;
        });
        await _cluster.WaitForMetaCrashAsync(CrashPoints.RenameStored);

        await _cluster.StartMetaAsync();

        await WithClientAsync(async client =>
        {
            Assert.Empty(await client.ListAsync("from").ToListAsync());
            var moved = Assert.Single(await client.ListAsync("to").ToListAsync());
            Assert.Equal(("to/g", from.Inode, 1u), (moved.Name, moved.Inode, moved.LinkCount));
            Assert.Equal(PfsErrorCode.NotFound, (await Assert.ThrowsAsync<PfsException>(() => client.StatAsync("from/f"))).Code);
            Assert.NotEqual(to.Inode, moved.Inode);
            return 0;
        });
    }

    [Fact]
    public async Task AnUnlinkCutOffAfterItsStoreWriteFreesTheFileAndItsBlocksAfterTheRestart()
    {
        await _cluster.StartMetaAsync(CrashPoints.UnlinkStored);
        var inode = await WithClientAsync(async client =>
        {
            var info = await WriteAsync(client, "victim", 40 * 512);
            Assert.Equal(2, Objects(info.Inode));
            await Assert.ThrowsAsync<PfsException>(() => client.UnlinkAsync("victim"));
            return info.Inode;
        });
        await _cluster.WaitForMetaCrashAsync(CrashPoints.UnlinkStored);
        Assert.Equal(2, Objects(inode));

        await _cluster.StartMetaAsync();

        await WaitUntilGoneAsync(inode);
        await WithClientAsync(async client =>
        {
            Assert.Equal(PfsErrorCode.NotFound, (await Assert.ThrowsAsync<PfsException>(() => client.StatAsync("victim"))).Code);
            await client.CreateAsync("victim", 1);
            return 0;
        });
    }

    [Fact]
    public async Task ACreateAndAnRmdirCutOffAfterTheirStoreWritesAreDoneExactlyOnce()
    {
        await _cluster.StartMetaAsync(CrashPoints.CreateStored);
        await WithClientAsync(async client =>
        {
            await Assert.ThrowsAsync<PfsException>(() => client.CreateDirectoryAsync("parent"));
            return 0;
        });
        await _cluster.WaitForMetaCrashAsync(CrashPoints.CreateStored);
        await _cluster.StartMetaAsync(CrashPoints.RemoveDirectoryStored);
        await WithClientAsync(async client =>
        {
            Assert.Equal(["parent"], (await client.ListAsync("").ToListAsync()).Select(entry => entry.Name));
            await client.CreateDirectoryAsync("parent/child");
            await client.CreateAsync("parent/file", 1);
            Assert.Equal(3u, (await client.StatAsync("parent")).LinkCount);
            await Assert.ThrowsAsync<PfsException>(() => client.DeleteDirectoryAsync("parent/child"));
            return 0;
        });
        await _cluster.WaitForMetaCrashAsync(CrashPoints.RemoveDirectoryStored);

        await _cluster.StartMetaAsync();

        await WithClientAsync(async client =>
        {
            Assert.Equal(["parent/file"], (await client.ListAsync("parent").ToListAsync()).Select(entry => entry.Name));
            Assert.Equal((2u, 1L), ((await client.StatAsync("parent")).LinkCount, (await client.StatAsync("parent")).Size));
            Assert.Equal(PfsErrorCode.AlreadyExists, (await Assert.ThrowsAsync<PfsException>(() => client.CreateDirectoryAsync("parent"))).Code);
            return 0;
        });
    }

    [Fact]
    public async Task AnOrphanFreedJustBeforeACrashHasItsBlocksDeletedAfterTheRestart()
    {
        await _cluster.StartMetaAsync(CrashPoints.OrphanFreed);
        var inode = await WithClientAsync(async client =>
        {
            var info = await WriteAsync(client, "orphan", 30 * 512);
            var reader = await client.OpenAsync("orphan", PfsOpenMode.Read);
            await client.UnlinkAsync("orphan");
            Assert.Equal(2, Objects(info.Inode));

            // The last handle goes: the free is stored, and the server dies before deleting anything.
            await reader.CloseAsync();
            return info.Inode;
        });
        await _cluster.WaitForMetaCrashAsync(CrashPoints.OrphanFreed);
        Assert.Equal(2, Objects(inode));

        await _cluster.StartMetaAsync();

        await WaitUntilGoneAsync(inode);
    }

    [Fact]
    public async Task AFileStillOpenWhenTheServerIsKilledIsFreedAtTheRestart()
    {
        await _cluster.StartMetaAsync();
        await WithClientAsync(async client =>
        {
            var info = await WriteAsync(client, "open-at-kill", 30 * 512);
            var reader = await client.OpenAsync("open-at-kill", PfsOpenMode.Read);
            await client.UnlinkAsync("open-at-kill");
            await _cluster.KillMetaAsync();
            Assert.Equal(2, Objects(info.Inode));

            await _cluster.StartMetaAsync();

            await WaitUntilGoneAsync(info.Inode);
            Assert.Contains("1 orphan(s) freed", _cluster.Meta!.Output, StringComparison.Ordinal);
            await Assert.ThrowsAsync<PfsException>(() => reader.CloseAsync().AsTask());
            return 0;
        });
    }

    private async Task<T> WithClientAsync<T>(Func<PfsClient, Task<T>> use)
    {
        var client = await _cluster.ConnectAsync($"crash-{Guid.NewGuid():N}");
        try
        {
            return await use(client);
        }
        finally
        {
            // A client whose server died may fail to close what it had open: that is not what is tested.
            try
            {
                await client.DisposeAsync();
            }
            catch (PfsException ex)
            {
                output.WriteLine($"client dispose: {ex.Message}");
            }
        }
    }

    private static async Task<PfsFileInfo> WriteAsync(PfsClient client, string name, int bytes)
    {
        await client.CreateAsync(name, 2);
        await using (var file = await client.OpenAsync(name, PfsOpenMode.Write))
        {
            await file.WriteAsync(TestData.Bytes(bytes, seed: bytes), 0);
        }

        return await client.StatAsync(name);
    }

    private int Objects(ulong inode) => _cluster.DataDirectories.Sum(directory => StripeObjectSearch.Find(directory, inode).Count);

    private Task WaitUntilGoneAsync(ulong inode) =>
        Wait.UntilAsync(() => Objects(inode) == 0, $"the blocks of file {inode:x16} are deleted on every file server", Timeout);
}
