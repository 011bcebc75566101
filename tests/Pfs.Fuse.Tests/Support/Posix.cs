using System.Runtime.InteropServices;

namespace Pfs.Fuse.Tests.Support;

/// <summary>Raw system calls for tests that need the exact errno or flags (the .NET file APIs hide them).</summary>
internal static unsafe partial class Posix
{
    public const int O_RDONLY = 0;
    public const int O_WRONLY = 1;
    public const int O_RDWR = 2;
    public const int O_CREAT = 0x40;
    public const int O_EXCL = 0x80;
    public const int O_TRUNC = 0x200;
    public const int O_APPEND = 0x400;
    public const int SIGUSR1 = 10;
    public const int RENAME_NOREPLACE = 1;
    public const int RENAME_EXCHANGE = 2;
    public const int AT_FDCWD = -100;

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int OpenRaw(string path, int flags, int mode);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "pread", SetLastError = true)]
    private static partial nint PreadRaw(int fd, byte* buffer, nint count, long offset);

    [LibraryImport("libc", EntryPoint = "pwrite", SetLastError = true)]
    private static partial nint PwriteRaw(int fd, byte* buffer, nint count, long offset);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static partial nint WriteRaw(int fd, byte* buffer, nint count);

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    public static partial int Kill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "mkdir", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int MkdirRaw(string path, int mode);

    /// <summary>mkdir(2): 0, or minus the errno.</summary>
    public static int Mkdir(string path, int mode = 0x1ED) => MkdirRaw(path, mode) == 0 ? 0 : -Marshal.GetLastPInvokeError();

    [LibraryImport("libc", EntryPoint = "renameat2", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int RenameAt2Raw(int oldDirFd, string oldPath, int newDirFd, string newPath, uint flags);

    /// <summary>open(2): the descriptor, or minus the errno.</summary>
    public static int Open(string path, int flags, int mode = 0x1A4)
    {
        var fd = OpenRaw(path, flags, mode);
        return fd >= 0 ? fd : -Marshal.GetLastPInvokeError();
    }

    public static int OpenOrThrow(string path, int flags, int mode = 0x1A4)
    {
        var fd = Open(path, flags, mode);
        return fd >= 0 ? fd : throw new IOException($"open {path}: errno {-fd}");
    }

    public static int Pread(int fd, Span<byte> buffer, long offset)
    {
        fixed (byte* pointer = buffer)
        {
            var n = PreadRaw(fd, pointer, buffer.Length, offset);
            return n >= 0 ? (int)n : throw new IOException($"pread: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    public static int Pwrite(int fd, ReadOnlySpan<byte> data, long offset)
    {
        fixed (byte* pointer = data)
        {
            var n = PwriteRaw(fd, pointer, data.Length, offset);
            return n >= 0 ? (int)n : throw new IOException($"pwrite: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    public static int Write(int fd, ReadOnlySpan<byte> data)
    {
        fixed (byte* pointer = data)
        {
            var n = WriteRaw(fd, pointer, data.Length);
            return n >= 0 ? (int)n : throw new IOException($"write: errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>renameat2(2): 0, or the errno.</summary>
    public static int Rename2(string from, string to, int flags) =>
        RenameAt2Raw(AT_FDCWD, from, AT_FDCWD, to, (uint)flags) == 0 ? 0 : Marshal.GetLastPInvokeError();
}
