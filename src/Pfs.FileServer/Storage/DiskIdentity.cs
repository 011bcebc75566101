using System.Security.Cryptography;
using System.Text;
using Pfs.Protocol;

namespace Pfs.FileServer.Storage;

/// <summary>
/// Which file system holds a directory, as an opaque string: two file servers whose data directories are on
/// the same file system of the same machine (a development set-up, or several servers on one disk) report
/// the same one, so capacity (statfs on a mount) counts that disk once, not once per server. It is a digest of
/// the kernel's boot id and the file system's device number (statx), so bind mounts and containers on one host
/// agree; empty where that cannot be read (not Linux), and then each server counts on its own.
/// </summary>
internal static class DiskIdentity
{
    public static string Of(string directory)
    {
        if (!OperatingSystem.IsLinux())
        {
            return string.Empty;
        }

        try
        {
            Span<byte> buffer = stackalloc byte[LinuxStatx.Size];
            if (!LinuxStatx.TryRead(Path.GetFullPath(directory), followLinks: true, LinuxStatx.BasicStats, buffer))
            {
                return string.Empty;
            }

            var major = BitConverter.ToUInt32(buffer[LinuxStatx.DevMajorOffset..]);
            var minor = BitConverter.ToUInt32(buffer[LinuxStatx.DevMinorOffset..]);
            var boot = File.ReadAllText("/proc/sys/kernel/random/boot_id").Trim();
            return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes($"{boot}/{major}:{minor}")).AsSpan(0, 16));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or EntryPointNotFoundException or DllNotFoundException)
        {
            return string.Empty;
        }
    }
}
