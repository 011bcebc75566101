using Pfs.Fuse.Tests.MemoryFs;

namespace Pfs.Fuse.Tests.Support;

/// <summary>
/// A <see cref="MemoryFileSystem"/> mounted under a fresh temp directory. Disposing unmounts on
/// every path, with <c>umount -l</c> as the last resort, and removes the directory.
/// </summary>
internal sealed class MountedFileSystem : IAsyncDisposable
{
    private static readonly TimeSpan MountTimeout = TimeSpan.FromSeconds(30);

    private MountedFileSystem(MemoryFileSystem fs, FuseMount mount, string root)
    {
        Fs = fs;
        Mount = mount;
        Root = root;
    }

    public MemoryFileSystem Fs { get; }

    public FuseMount Mount { get; }

    public string Root { get; }

    public static FuseMountOptions DefaultOptions => new() { FsName = "memfs", Subtype = "memfs", UnmountTimeout = TimeSpan.FromSeconds(10) };

    public static async Task<MountedFileSystem> StartAsync(MemoryFileSystem? fs = null, FuseMountOptions? options = null)
    {
        fs ??= new MemoryFileSystem();
        var root = Directory.CreateTempSubdirectory("pfs-fuse-").FullName;
        try
        {
            using var timeout = new CancellationTokenSource(MountTimeout);
            var mount = await FuseMount.MountAsync(fs, root, options ?? DefaultOptions, cancellationToken: timeout.Token);
            return new MountedFileSystem(fs, mount, root);
        }
        catch
        {
            await CleanUpAsync(root);
            throw;
        }
    }

    public string PathOf(string relative) => Path.Combine(Root, relative);

    /// <summary>Whether the kernel still lists the mount.</summary>
    public static bool IsMounted(string root) => Native.MountPoint.FindConnection(root) is not null;

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Mount.DisposeAsync();
        }
        finally
        {
            await CleanUpAsync(Root);
        }
    }

    private static async Task CleanUpAsync(string root)
    {
        if (IsMounted(root))
            await Programs.RunAsync("umount", "-l", root);
        try
        {
            Directory.Delete(root);
        }
        catch (IOException)
        {
            // Still busy or not empty: a leftover temp directory is harmless; a leftover mount is not.
        }
    }
}
