using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Pfs.Tests.Fixtures;

/// <summary>
/// Ports for the servers a test starts. A port the kernel hands out for port 0 comes from the ephemeral
/// range, the one outgoing connections take their local ports from: between a test releasing it and its
/// server binding it, a connection made by another test could take it ("address already in use", seen in
/// CI when a metadata server started). These come from below that range, are checked free by binding
/// them, and are never handed out twice in one test run.
/// </summary>
internal static class TestPorts
{
    private const int Lowest = 20000;
    private static readonly Lock Gate = new();
    private static readonly HashSet<int> Given = [];
    private static readonly int Highest = EphemeralLow() - 1;

    public static int Free()
    {
        lock (Gate)
        {
            for (var attempt = 0; Highest > Lowest && attempt < 2000; attempt++)
            {
                var port = Random.Shared.Next(Lowest, Highest + 1);
                if (!Given.Contains(port) && CanBind(port))
                {
                    Given.Add(port);
                    return port;
                }
            }

            // A machine whose ephemeral range leaves nothing below it: the kernel's choice, as before.
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
    }

    private static bool CanBind(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    // The first port of net.ipv4.ip_local_port_range (32768 unless configured otherwise).
    private static int EphemeralLow()
    {
        try
        {
            var fields = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
            return fields.Length > 0 && int.TryParse(fields[0], NumberStyles.None, CultureInfo.InvariantCulture, out var low) ? low : 32768;
        }
        catch (IOException)
        {
            return 32768;
        }
    }
}
