using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;

namespace Pfs.FileServer.Storage;

/// <summary>
/// Which file system holds a directory, as an opaque string: two file servers whose data directories are on
/// the same file system of the same machine (a development set-up, or several servers on one disk) report
/// the same one, so capacity (statfs on a mount) counts that disk once, not once per server. It is a digest of
/// the kernel's boot id and the file system's device number (statx), so bind mounts and containers on one host
/// agree; empty where that cannot be read (not Linux), and then each server counts on its own.
/// </summary>
internal static partial class DiskIdentity
{
    private const int AtFdCwd = -100;
    private const uint StatxBasicStats = 0x7ff;

    // struct statx is the same on every architecture: stx_dev_major and stx_dev_minor are at bytes 136 and 140.
    private const int StatxSize = 256;
    private const int DevMajorOffset = 136;
    private const int DevMinorOffset = 140;

    public static string Of(string directory)
    {
        if (!OperatingSystem.IsLinux())
        {
            return string.Empty;
        }

        try
        {
            var buffer = new byte[StatxSize];
            if (Statx(AtFdCwd, Path.GetFullPath(directory), 0, StatxBasicStats, ref buffer[0]) != 0)
            {
                return string.Empty;
            }

            var major = BitConverter.ToUInt32(buffer, DevMajorOffset);
            var minor = BitConverter.ToUInt32(buffer, DevMinorOffset);
            var boot = File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim();
            return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{boot}/{major}:{minor}")).AsSpan(0, 16));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or EntryPointNotFoundException or DllNotFoundException)
        {
            return string.Empty;
        }
    }

    [LibraryImport("libc", EntryPoint = "statx", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Statx(int dirfd, string path, int flags, uint mask, ref byte buffer);
}
