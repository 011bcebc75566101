using Pfs.LocalCluster;
using Pfs.Mount;

namespace Pfs.Tests.Integration.Mount;

/// <summary>
/// A 4-server in-process cluster mounted twice (A and B, two Pfs clients as two machines would be),
/// shared by the mount tests; each test works in its own directory. Disposing unmounts both on every
/// path, with <c>umount -l</c> as the last resort.
/// </summary>
public sealed class MountFixture : IAsyncLifetime
{
    private int _names;

    public PfsCluster Cluster { get; private set; } = null!;

    public PfsMount A { get; private set; } = null!;

    public PfsMount B { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Cluster = await PfsCluster.StartAsync(fileServers: 4, leaseTimeout: TimeSpan.FromSeconds(3));
        A = await MountAt.StartAsync(Cluster.MetaServerAddress);
        B = await MountAt.StartAsync(Cluster.MetaServerAddress);
    }

    public async Task DisposeAsync()
    {
        try
        {
            await MountAt.StopAsync(A);
            await MountAt.StopAsync(B);
        }
        finally
        {
            await Cluster.DisposeAsync();
        }
    }

    /// <summary>A fresh directory for one test, made through mount A; answers its name (relative to the root).</summary>
    public string NewDirectory(string hint)
    {
        var name = $"{hint}-{Interlocked.Increment(ref _names)}";
        Directory.CreateDirectory(Path.Combine(A.MountPoint, name));
        return name;
    }
}

[CollectionDefinition(Name)]
public sealed class MountCollection : ICollectionFixture<MountFixture>
{
    public const string Name = "mount";
}

/// <summary>Mounting under a fresh temp directory, and unmounting whatever happens.</summary>
internal static class MountAt
{
    public static async Task<PfsMount> StartAsync(Uri meta, TimeSpan? operationTimeout = null, string? key = null, int parityBlocks = 0)
    {
        var root = Directory.CreateTempSubdirectory("pfs-mount-").FullName;
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            return await PfsMount.MountAsync(root, new PfsMountOptions
            {
                MetaServer = meta,
                OperationTimeout = operationTimeout ?? TimeSpan.FromSeconds(30),
                Key = key,
                ParityBlocks = parityBlocks,
            }, cancellationToken: timeout.Token);
        }
        catch
        {
            CleanUp(root);
            throw;
        }
    }

    public static async Task StopAsync(PfsMount? mount)
    {
        if (mount is null)
        {
            return;
        }

        try
        {
            await mount.DisposeAsync();
        }
        finally
        {
            CleanUp(mount.MountPoint);
        }
    }

    /// <summary>Lazily unmounts <paramref name="root"/> if the kernel still lists it, then removes the directory.</summary>
    public static void CleanUp(string root)
    {
        if (IsMounted(root))
        {
            using var umount = System.Diagnostics.Process.Start("umount", ["-l", root]);
            umount.WaitForExit(10_000);
        }

        try
        {
            Directory.Delete(root);
        }
        catch (IOException)
        {
            // Left for the OS's temp cleanup; it is empty or a dead mount point.
        }
    }

    public static bool IsMounted(string root) =>
        File.ReadLines("/proc/mounts").Any(line => line.Split(' ') is [_, var point, ..] && point == root);
}
