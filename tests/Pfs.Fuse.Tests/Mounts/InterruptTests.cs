using Pfs.Fuse.Tests.Support;

namespace Pfs.Fuse.Tests.Mounts;

/// <summary>A signal to a process blocked in the file system becomes FUSE_INTERRUPT, a cancelled token, and EINTR.</summary>
public sealed class InterruptTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(15);

    // read(2) through ctypes, so Python does not retry the EINTR (PEP 475) and the errno is seen as is.
    private const string Reader = """
        import ctypes, os, signal, sys
        signal.signal(signal.SIGUSR1, lambda number, frame: None)
        libc = ctypes.CDLL(None, use_errno=True)
        fd = os.open(sys.argv[1], os.O_RDONLY)
        buffer = ctypes.create_string_buffer(4096)
        n = libc.read(fd, buffer, 4096)
        print(n, ctypes.get_errno(), flush=True)
        """;

    [FuseFact]
    public async Task ASignalInterruptsABlockedReadWithEintr()
    {
        await using var mounted = await MountedFileSystem.StartAsync();
        await File.WriteAllBytesAsync(mounted.PathOf("slow"), new byte[4096]);
        var node = mounted.Fs.NodeAt("slow");
        // Direct I/O makes the read a synchronous request of the reading process (page-cache
        // readahead is sent in the background, where signals do not reach it).
        mounted.Fs.DirectIoNodes[node] = true;
        mounted.Fs.BlockingNodes[node] = true;

        using var python = Programs.Start("python3", "-c", Reader, mounted.PathOf("slow"));
        try
        {
            var output = python.StandardOutput.ReadToEndAsync();
            await mounted.Fs.ReadBlocked.Task.WaitAsync(Timeout);
            Assert.Equal(0, Posix.Kill(python.Id, Posix.SIGUSR1));

            await mounted.Fs.ReadInterrupted.Task.WaitAsync(Timeout);
            await python.WaitForExitAsync().WaitAsync(Timeout);

            Assert.Equal($"-1 {Errno.EINTR}", (await output).Trim());
        }
        finally
        {
            if (!python.HasExited)
                python.Kill();
        }
    }
}
