using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Grpc.Core;
using Grpc.Health.V1;
using Grpc.Net.Client;
using Pfs.Tests.Fixtures;
using Xunit.Abstractions;

namespace Pfs.Tests.Integration.Hostile;

/// <summary>
/// Issue 16 row 2 at a lowered scale: a flood of TCP connections that send the HTTP/2 preface and
/// then nothing, at a real metadata-server and a real file-server process started with a small
/// connection limit. The limit holds, silent connections are closed, and a client already connected
/// is served throughout.
/// </summary>
public sealed class ConnectionFloodTests(ITestOutputHelper output) : IDisposable
{
    private const int Limit = 40;
    private const int Flood = 100;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private static readonly byte[] Preface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray();
    private readonly string _root = Directory.CreateTempSubdirectory("pfs-flood-").FullName;

    public void Dispose()
    {
        try
        {
            Directory.Delete(_root, recursive: true);
        }
        catch (IOException)
        {
            // Scratch space; a leftover is harmless.
        }
    }

    [Theory]
    [InlineData("Pfs.FileServer")]
    [InlineData("Pfs.MetaServer")]
    public async Task ConnectionsBeyondTheLimitAreClosedAndAConnectedClientIsStillServed(string server)
    {
        // Arrange: a server that would keep a silent connection for a minute, and a client connected to it
        var (process, address) = await StartAsync(server, handshakeSeconds: 60);
        using var _ = process;
        using var client = GrpcChannel.ForAddress(address);
        await AssertServingAsync(client);

        // Act: the flood
        using var flood = await FloodAsync(address);
        await Wait.UntilAsync(() => flood.Closed >= Flood - (Limit - 1), "the connections beyond the limit are closed", Timeout);

        // Assert: the connected client is served; a new one is not while the limit is reached; the
        // server kept exactly the limit (the client's connection and Limit - 1 silent ones)
        await AssertServingAsync(client);
        using var newcomer = GrpcChannel.ForAddress(address);
        var refused = await Assert.ThrowsAsync<RpcException>(() => CheckAsync(newcomer, TimeSpan.FromSeconds(3)));
        output.WriteLine($"a new client during the flood: {refused.StatusCode}");
        Assert.Equal(Flood - (Limit - 1), flood.Closed);
        Assert.False(process.HasExited);
    }

    [Theory]
    [InlineData("Pfs.FileServer")]
    [InlineData("Pfs.MetaServer")]
    public async Task SilentConnectionsAreClosedAfterTheHandshakeTimeoutAndNewClientsAreServedAgain(string server)
    {
        // Arrange
        var (process, address) = await StartAsync(server, handshakeSeconds: 2);
        using var _ = process;
        using var client = GrpcChannel.ForAddress(address);
        await AssertServingAsync(client);

        // Act
        using var flood = await FloodAsync(address);
        await Wait.UntilAsync(() => flood.Closed == Flood, "every silent connection is closed", Timeout);

        // Assert: nothing of the flood is left, and both the old client and a new one are served
        await AssertServingAsync(client);
        using var newcomer = GrpcChannel.ForAddress(address);
        await AssertServingAsync(newcomer);
        Assert.False(process.HasExited);
    }

    private static Task<HealthCheckResponse> CheckAsync(GrpcChannel channel, TimeSpan deadline) =>
        new Health.HealthClient(channel).CheckAsync(new HealthCheckRequest(), deadline: DateTime.UtcNow + deadline).ResponseAsync;

    private static async Task AssertServingAsync(GrpcChannel channel) =>
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, (await CheckAsync(channel, Timeout)).Status);

    private static async Task<SilentConnections> FloodAsync(Uri address)
    {
        var flood = new SilentConnections();
        for (var i = 0; i < Flood; i++)
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, address.Port));
            try
            {
                await socket.SendAsync(Preface);
            }
            catch (SocketException)
            {
                // Closed at accept already: counted by the watcher below.
            }

            flood.Add(socket);
        }

        return flood;
    }

    private async Task<(ChildProcess Process, Uri Address)> StartAsync(string server, int handshakeSeconds)
    {
        var keyFile = Path.Join(_root, "cluster.key");
        await File.WriteAllTextAsync(keyFile, TestCaps.Key);
        var port = FreePort();
        List<string> args = ["--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1",
            "--cluster-key-file", keyFile, "--max-connections", Limit.ToString(CultureInfo.InvariantCulture)];
        args.AddRange(server == "Pfs.FileServer"
            ? ["--data-dir", Path.Join(_root, $"fs-{port}")]
            : ["--file-servers", "http://127.0.0.1:9"]);
        var environment = new Dictionary<string, string>
        {
            ["Pfs__HandshakeSeconds"] = handshakeSeconds.ToString(CultureInfo.InvariantCulture),
            ["Pfs__IdleSeconds"] = "600",
        };
        var process = ChildProcess.StartWithEnvironment(environment, server, [.. args]);
        try
        {
            await process.WaitForAsync("listening", Timeout);
        }
        catch
        {
            output.WriteLine(process.Output);
            process.Dispose();
            throw;
        }

        return (process, new Uri($"http://127.0.0.1:{port}"));
    }

    private static int FreePort() => TestPorts.Free();

    /// <summary>Sockets that say nothing more, each watched until the server closes it.</summary>
    private sealed class SilentConnections : IDisposable
    {
        private readonly List<Socket> _sockets = [];
        private int _closed;

        public int Closed => Volatile.Read(ref _closed);

        public void Add(Socket socket)
        {
            _sockets.Add(socket);
            _ = WatchAsync(socket);
        }

        public void Dispose()
        {
            foreach (var socket in _sockets)
            {
                socket.Dispose();
            }
        }

        private async Task WatchAsync(Socket socket)
        {
            var buffer = new byte[4096];
            try
            {
                // The server's own SETTINGS arrive first; the connection is closed when a read ends it.
                while (await socket.ReceiveAsync(buffer) > 0)
                {
                }
            }
            catch (SocketException)
            {
                // Reset by the server: closed too.
            }
            catch (ObjectDisposedException)
            {
                return;
            }

            Interlocked.Increment(ref _closed);
        }
    }
}
