using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Pfs.Benchmarks.Cluster;

/// <summary>What bare TCP streams moved through the shaped ports, as fractions of the link rate (the lowest port's).</summary>
/// <param name="AloneToServer">One port's stream towards its server, no other stream on any port.</param>
/// <param name="AloneFromServer">The same, from the server.</param>
/// <param name="AllToServer">Each port's stream towards its server while every port of its group sends that way at once.</param>
/// <param name="AllFromServer">The same, from the servers.</param>
internal sealed record LinkCheckResult(double AloneToServer, double AloneFromServer, double AllToServer, double AllFromServer)
{
    public double Worst => new[] { AloneToServer, AloneFromServer, AllToServer, AllFromServer }.Min();
}

/// <summary>
/// Checks the test bed before anything listens on its ports: per port a listener, and TCP
/// connections to it sending towards the port and receiving from it at full speed for a while;
/// first each port alone (one direction, then the other), then every port of a group at once, one
/// direction at a time (as a striped write, then a striped read, uses them). The rate is what the
/// reader received after a short warm-up, per second.
/// </summary>
internal static class LinkCheck
{
    // Towards the server, then back from it.
    private static readonly bool[] Directions = [true, false];

    private const int ChunkBytes = 256 * 1024;

    private static readonly TimeSpan WarmUp = TimeSpan.FromMilliseconds(200);

    public static async Task<LinkCheckResult> RunAsync(IReadOnlyList<IReadOnlyList<int>> groups, double bytesPerSecond, TimeSpan alone,
                                                       TimeSpan together, CancellationToken cancellationToken)
    {
        double aloneTo = double.MaxValue, aloneFrom = double.MaxValue, allTo = double.MaxValue, allFrom = double.MaxValue;
        foreach (var port in groups.SelectMany(g => g))
        {
            // One direction at a time: with both at once, each stream's ACKs queue behind the other's
            // data in the same class (htb's leaf queue holds 1000 packets of up to 64 KiB on lo), and
            // that measures the queue, not the link. Pfs's traffic is one way at a time too.
            var (to, _) = await MeasureAsync([port], toServer: true, fromServer: false, alone, cancellationToken);
            var (_, from) = await MeasureAsync([port], toServer: false, fromServer: true, alone, cancellationToken);
            aloneTo = Math.Min(aloneTo, to[0] / bytesPerSecond);
            aloneFrom = Math.Min(aloneFrom, from[0] / bytesPerSecond);
        }

        foreach (var group in groups)
        {
            var (to, _) = await MeasureAsync(group, toServer: true, fromServer: false, together, cancellationToken);
            allTo = Math.Min(allTo, to.Min() / bytesPerSecond);
            var (_, from) = await MeasureAsync(group, toServer: false, fromServer: true, together, cancellationToken);
            allFrom = Math.Min(allFrom, from.Min() / bytesPerSecond);
        }

        return new LinkCheckResult(aloneTo, aloneFrom, allTo, allFrom);
    }

    // Bytes per second towards and from each port, all streams running at once.
    private static async Task<(double[] To, double[] From)> MeasureAsync(IReadOnlyList<int> ports, bool toServer, bool fromServer, TimeSpan duration,
                                                                         CancellationToken cancellationToken)
    {
        var listeners = new List<Socket>();
        var sockets = new List<Socket>();
        try
        {
            var pairs = new List<(Socket Sender, Socket Receiver, bool ToServer, int Port)>();
            foreach (var port in ports)
            {
                var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                listeners.Add(listener);
                listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
                listener.Bind(new IPEndPoint(IPAddress.Loopback, port));
                listener.Listen(4);
                foreach (var towards in Directions.Where(t => t ? toServer : fromServer))
                {
                    var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                    sockets.Add(client);
                    var accepting = listener.AcceptAsync(cancellationToken).AsTask();
                    await client.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), cancellationToken);
                    var server = await accepting;
                    sockets.Add(server);
                    pairs.Add(towards ? (client, server, true, port) : (server, client, false, port));
                }
            }

            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var started = Stopwatch.GetTimestamp();
            var senders = pairs.Select(p => SendAsync(p.Sender, stop.Token)).ToList();
            var receivers = pairs.Select(p => ReceiveAsync(p.Receiver, started, duration, stop.Token)).ToList();
            var rates = await Task.WhenAll(receivers);
            await stop.CancelAsync();
            foreach (var socket in sockets)
            {
                socket.Close(0);
            }

            await Task.WhenAll(senders);
            cancellationToken.ThrowIfCancellationRequested();
            var to = new double[ports.Count];
            var from = new double[ports.Count];
            for (var i = 0; i < pairs.Count; i++)
            {
                var index = ports.ToList().IndexOf(pairs[i].Port);
                (pairs[i].ToServer ? to : from)[index] = rates[i];
            }

            return (to, from);
        }
        finally
        {
            // The clients' ends close first, so the TIME_WAIT states stay on their ephemeral ports, not on the servers' ports.
            foreach (var socket in sockets)
            {
                socket.Dispose();
            }

            foreach (var listener in listeners)
            {
                listener.Dispose();
            }
        }
    }

    private static async Task SendAsync(Socket socket, CancellationToken cancellationToken)
    {
        var chunk = new byte[ChunkBytes];
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                await socket.SendAsync(chunk, SocketFlags.None, cancellationToken);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // Stopped.
        }
    }

    private static async Task<double> ReceiveAsync(Socket socket, long started, TimeSpan duration, CancellationToken cancellationToken)
    {
        var buffer = new byte[ChunkBytes];
        long counted = 0;
        long? from = null;
        while (true)
        {
            var received = await socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);
            var elapsed = Stopwatch.GetElapsedTime(started);
            if (received == 0)
            {
                throw new InvalidOperationException("a link-check stream ended early");
            }

            if (elapsed < WarmUp)
            {
                continue;
            }

            if (from is null)
            {
                from = Stopwatch.GetTimestamp();
                continue;
            }

            counted += received;
            if (elapsed >= duration)
            {
                return counted / Stopwatch.GetElapsedTime(from.Value).TotalSeconds;
            }
        }
    }
}
