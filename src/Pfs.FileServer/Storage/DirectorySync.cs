using System.Runtime.InteropServices;

namespace Pfs.FileServer.Storage;

/// <summary>
/// fsync(2) of a directory, so a rename or a new file name in it is on stable storage. .NET has no
/// API for it (it will not open a directory as a file), hence the two libc calls. A no-op on Windows,
/// where NTFS journals names itself.
/// </summary>
internal static partial class DirectorySync
{
    private const int ReadOnly = 0;

    public static void Flush(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var fd = Open(directory, ReadOnly);
        if (fd < 0)
        {
            // The errno as HResult, as .NET's own I/O exceptions carry it on Unix (see IoErrors).
            var errno = Marshal.GetLastPInvokeError();
            throw new IOException($"cannot open directory for fsync (errno {errno})", errno);
        }

        try
        {
            if (Fsync(fd) != 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                throw new IOException($"fsync of a directory failed (errno {errno})", errno);
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close")]
    private static partial int Close(int fd);
}
