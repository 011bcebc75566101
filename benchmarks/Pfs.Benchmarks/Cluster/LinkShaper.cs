using System.Diagnostics;
using System.Globalization;

namespace Pfs.Benchmarks.Cluster;

/// <summary>
/// Gives each server port its own "network card" on the loopback device: an htb qdisc on <c>lo</c>
/// whose default class is far above anything measured, and per port two classes of the link rate,
/// one per direction, chosen by u32 filters on the port as destination (to the server) and as
/// source (from it). Needs root and <c>tc</c>. It refuses to start if <c>lo</c> already has a
/// qdisc of its own, so it never removes one it did not add; disposing it (and the process-exit
/// hook it registers, for the paths that skip <c>finally</c>) removes the qdisc.
/// </summary>
internal sealed class LinkShaper : IDisposable
{
    /// <summary>What to type when a qdisc was left on lo (by a killed run, say).</summary>
    public const string RemoveCommand = "tc qdisc del dev lo root";

    private readonly EventHandler _onExit;
    private int _removed;

    private LinkShaper(int megabitsPerSecond, IReadOnlyList<int> ports)
    {
        MegabitsPerSecond = megabitsPerSecond;
        Ports = ports;
        _onExit = (_, _) => Remove();
    }

    public int MegabitsPerSecond { get; }

    /// <summary>Bytes per second each direction of each port may carry.</summary>
    public double BytesPerSecond => MegabitsPerSecond * 1e6 / 8;

    public IReadOnlyList<int> Ports { get; }

    /// <summary>
    /// Shapes <paramref name="ports"/> to <paramref name="megabitsPerSecond"/> each way. Throws
    /// <see cref="InvalidOperationException"/>, with a one-line reason, if it cannot (not root, no
    /// tc, a qdisc already on lo).
    /// </summary>
    public static LinkShaper Install(int megabitsPerSecond, IReadOnlyList<int> ports)
    {
        var (existing, code) = Tc("qdisc show dev lo");
        if (code != 0)
        {
            throw new InvalidOperationException($"--link-mbit needs tc (iproute2) and root: 'tc qdisc show dev lo' failed: {existing.Trim()}");
        }

        // A fresh lo shows only "qdisc noqueue 0: root"; anything else belongs to someone.
        var foreign = existing.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Where(line => !line.StartsWith("qdisc noqueue 0: root", StringComparison.Ordinal)).ToList();
        if (foreign.Count > 0)
        {
            throw new InvalidOperationException(
                $"lo already has a qdisc ({foreign[0]}); if a killed benchmark left it, remove it with: {RemoveCommand}");
        }

        var shaper = new LinkShaper(megabitsPerSecond, ports);
        AppDomain.CurrentDomain.ProcessExit += shaper._onExit;
        try
        {
            Run("qdisc add dev lo root handle 1: htb default 99 r2q 1000");
            Run("class add dev lo parent 1: classid 1:99 htb rate 100gbit quantum 200000");
            var rate = string.Create(CultureInfo.InvariantCulture, $"{megabitsPerSecond}mbit");
            for (var i = 0; i < ports.Count; i++)
            {
                // Class ids are hex: 1:100 and 1:101 for the first port, 1:102 and 1:103 for the next...
                var toServer = (0x100 + (2 * i)).ToString("x", CultureInfo.InvariantCulture);
                var fromServer = (0x101 + (2 * i)).ToString("x", CultureInfo.InvariantCulture);
                var port = ports[i].ToString(CultureInfo.InvariantCulture);
                foreach (var classId in new[] { toServer, fromServer })
                {
                    Run($"class add dev lo parent 1: classid 1:{classId} htb rate {rate} ceil {rate} burst 256k cburst 256k quantum 65536");
                }

                Run($"filter add dev lo parent 1: protocol ip prio 1 u32 match ip dport {port} 0xffff flowid 1:{toServer}");
                Run($"filter add dev lo parent 1: protocol ip prio 1 u32 match ip sport {port} 0xffff flowid 1:{fromServer}");
            }

            return shaper;
        }
        catch
        {
            shaper.Dispose();
            throw;
        }
    }

    /// <summary>Whether lo carries no qdisc of ours any more (for checks after a run).</summary>
    public static bool LoopbackIsClean()
    {
        var (shown, code) = Tc("qdisc show dev lo");
        return code == 0 && !shown.Contains("htb", StringComparison.Ordinal);
    }

    public void Dispose()
    {
        Remove();
        AppDomain.CurrentDomain.ProcessExit -= _onExit;
    }

    private void Remove()
    {
        if (Interlocked.Exchange(ref _removed, 1) == 0)
        {
            // Deleting the root qdisc removes its classes and filters with it.
            var (output, code) = Tc("qdisc del dev lo root");
            if (code != 0 && !LoopbackIsClean())
            {
                Console.Error.WriteLine($"Pfs.Benchmarks: could not remove the qdisc on lo ({output.Trim()}); remove it with: {RemoveCommand}");
            }
        }
    }

    private static void Run(string arguments)
    {
        var (output, code) = Tc(arguments);
        if (code != 0)
        {
            throw new InvalidOperationException($"tc {arguments} failed: {output.Trim()}");
        }
    }

    private static (string Output, int ExitCode) Tc(string arguments)
    {
        var info = new ProcessStartInfo("tc")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in arguments.Split(' '))
        {
            info.ArgumentList.Add(argument);
        }

        try
        {
            using var process = Process.Start(info) ?? throw new InvalidOperationException("cannot start tc");
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEnd();
            process.WaitForExit();
            return (output.Result + error, process.ExitCode);
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            return ($"tc not found ({ex.Message})", -1);
        }
    }
}
