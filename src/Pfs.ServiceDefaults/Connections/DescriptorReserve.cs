using System.Globalization;
using System.Runtime.InteropServices;

namespace Pfs.ServiceDefaults.Connections;

/// <summary>
/// The top of the process's descriptor table (<c>ulimit -n</c>), kept for the .NET runtime: a server
/// hands back at once any connection or file that lands there, so peers and storage never take the
/// last descriptors.
/// </summary>
/// <remarks>
/// The runtime needs descriptors of its own at moments nobody chooses: a new thread takes a pipe as it
/// starts, and an assembly loaded late takes two. With the table full it cannot start a thread, and it
/// ends the process ("Out of memory.", SIGABRT); a flood of connections did that to a file server.
/// Linux gives every open the lowest free descriptor, so a descriptor numbered at or above
/// <see cref="Ceiling"/> means everything below is taken: closing it again keeps
/// <see cref="Reserve"/> descriptors free for the runtime, with one comparison and no counting.
/// </remarks>
public sealed class DescriptorReserve
{
    /// <summary>Fewest descriptors kept: threads the pool may add under load, and the assemblies still to load.</summary>
    public const long MinReserve = 64;

    /// <summary>Most kept: beyond this the runtime cannot use them, and a large table needs no more.</summary>
    public const long MaxReserve = 1024;

    private static readonly Lazy<DescriptorReserve> ProcessReserve = new(ForThisProcess);

    /// <summary>A reserve under a table of <paramref name="limit"/> descriptors: an eighth of it, within <see cref="MinReserve"/> and <see cref="MaxReserve"/>.</summary>
    public DescriptorReserve(long limit)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        Limit = limit;
        Reserve = Math.Clamp(limit / 8, MinReserve, MaxReserve);
        Ceiling = Math.Max(0, limit - Reserve);
    }

    private DescriptorReserve()
    {
        Limit = long.MaxValue;
        Ceiling = long.MaxValue;
    }

    /// <summary>This process's reserve; none where the limit cannot be read (not Linux) or is unlimited.</summary>
    public static DescriptorReserve Process => ProcessReserve.Value;

    /// <summary>A reserve that keeps nothing back.</summary>
    public static DescriptorReserve None { get; } = new();

    /// <summary>Whether anything is kept back.</summary>
    public bool Enabled => Ceiling != long.MaxValue;

    /// <summary>The process's open-file limit (its soft RLIMIT_NOFILE, which .NET raises to the hard one at start).</summary>
    public long Limit { get; }

    /// <summary>How many descriptors at the top of the table are the runtime's.</summary>
    public long Reserve { get; }

    /// <summary>The lowest descriptor number in the reserve.</summary>
    public long Ceiling { get; }

    /// <summary>Whether <paramref name="handle"/> took a descriptor from the reserve (so it should be closed again at once).</summary>
    public bool Holds(SafeHandle handle)
    {
        ArgumentNullException.ThrowIfNull(handle);
        return Holds((long)handle.DangerousGetHandle());
    }

    /// <summary>Whether <paramref name="descriptor"/> is in the reserve.</summary>
    public bool Holds(long descriptor) => descriptor >= Ceiling;

    /// <summary>The soft "Max open files" of a <c>/proc/PID/limits</c> text, or null if it has none or it is unlimited.</summary>
    public static long? ParseLimit(string limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        foreach (var line in limits.Split('\n'))
        {
            if (!line.StartsWith("Max open files", StringComparison.Ordinal))
            {
                continue;
            }

            var fields = line["Max open files".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return fields.Length > 0 && long.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out var soft) && soft > 0 ? soft : null;
        }

        return null;
    }

    /// <summary>How many descriptors the process has open now, or null where that cannot be read.</summary>
    public static int? OpenNow()
    {
        try
        {
            // The enumeration's own descriptor is counted too; one either way does not matter here.
            return OperatingSystem.IsLinux() ? Directory.EnumerateFileSystemEntries("/proc/self/fd").Count() : null;
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>A line for the server's log when the limit leaves it little room, or null when it is ample.</summary>
    public string? Shortage(int openNow)
    {
        if (!Enabled)
        {
            return null;
        }

        var left = Ceiling - openNow;
        return left >= MinReserve
            ? null
            : $"The process may open {Limit} files (ulimit -n) and has {openNow} open; with {Reserve} kept for the .NET runtime, "
              + $"{Math.Max(0, left)} are left for connections and stored files, so most calls will be refused. Raise the limit (ulimit -n 65536).";
    }

    private static DescriptorReserve ForThisProcess()
    {
        if (!OperatingSystem.IsLinux())
        {
            return None;
        }

        try
        {
            return ParseLimit(File.ReadAllText("/proc/self/limits")) is { } limit ? new DescriptorReserve(limit) : None;
        }
        catch (IOException)
        {
            return None;
        }
        catch (UnauthorizedAccessException)
        {
            return None;
        }
    }
}
