using System.Globalization;
using System.Text;

namespace Pfs.Fuse.Native;

/// <summary>Mountpoint checks and /proc/self/mountinfo look-ups.</summary>
internal static class MountPoint
{
    /// <summary>Resolves the mountpoint and refuses, in one line, a missing, non-directory or non-empty one.</summary>
    public static string Check(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path));
        if (full.Length == 0)
            full = "/";
        if (File.Exists(full))
            throw new FuseMountException($"mountpoint {full} is not a directory");
        if (!Directory.Exists(full))
        {
            if (FindConnection(full) is not null)
                throw new FuseMountException($"mountpoint {full} is a dead mount (transport endpoint not connected): run 'umount -l {full}' first");
            throw new FuseMountException($"mountpoint {full} does not exist");
        }
        try
        {
            if (Directory.EnumerateFileSystemEntries(full).Any())
                throw new FuseMountException($"mountpoint {full} is not empty");
        }
        catch (IOException e) when (e is not FuseMountException)
        {
            throw new FuseMountException($"mountpoint {full} cannot be listed ({e.Message}); if it is a dead mount run 'umount -l {full}' first", e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new FuseMountException($"mountpoint {full} cannot be listed: {e.Message}", e);
        }
        return full;
    }

    /// <summary>
    /// The FUSE connection id (the minor device number of the mount, as named under
    /// /sys/fs/fuse/connections) of the topmost mount at <paramref name="mountPoint"/>, or null
    /// when nothing is mounted there.
    /// </summary>
    public static int? FindConnection(string mountPoint, string? fileSystemType = null)
    {
        int? found = null;
        foreach (var line in File.ReadLines("/proc/self/mountinfo"))
        {
            // id parent major:minor root mountpoint options [optional fields] - fstype source super-options
            var fields = line.Split(' ');
            if (fields.Length < 10 || Unescape(fields[4]) != mountPoint)
                continue;
            var separator = Array.IndexOf(fields, "-", 6);
            if (fileSystemType is not null && (separator < 0 || fields[separator + 1] != fileSystemType))
                continue;
            var device = fields[2].Split(':');
            if (device.Length == 2 && int.TryParse(device[1], NumberStyles.None, CultureInfo.InvariantCulture, out var minor))
                found = minor;
        }
        return found;
    }

    /// <summary>mountinfo escapes space, tab, newline and backslash as three octal digits.</summary>
    private static string Unescape(string field)
    {
        if (!field.Contains('\\'))
            return field;
        var builder = new StringBuilder(field.Length);
        for (var i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && i + 3 < field.Length && IsOctal(field[i + 1]) && IsOctal(field[i + 2]) && IsOctal(field[i + 3]))
            {
                builder.Append((char)Convert.ToInt32(field.Substring(i + 1, 3), 8));
                i += 3;
            }
            else
            {
                builder.Append(field[i]);
            }
        }
        return builder.ToString();
    }

    private static bool IsOctal(char c) => c is >= '0' and <= '7';
}
