using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Pfs.Protocol;
using Pfs.Protocol.FileServer;
using Pfs.ServiceDefaults.Connections;
using Pfs.Tests.Fixtures;
using Xunit.Abstractions;

namespace Pfs.Tests.Integration.Hostile;

/// <summary>
/// The file-server rows of issue 16, each sent as a hostile program would, at a real file-server
/// process whose memory and file handles the test reads from /proc.
/// </summary>
public sealed class HostileFileServerTests(ITestOutputHelper output) : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private readonly string _root = Directory.CreateTempSubdirectory("pfs-hostile-fs-").FullName;

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

    // Row 3: 48 concurrent WriteBytes of one 64 MiB segment each, with no capability or a forged one,
    // 3 rounds. Each is refused before its payload is read, so the server's memory does not grow with them.
    [Fact]
    public async Task WritesWithoutAValidCapabilityAreRefusedBeforeTheirPayloadIsBuffered()
    {
        // Arrange: a server that has served a write, so its idle memory includes what serving takes
        using var server = await StartAsync();
        using var channel = Channel(server);
        await LegitimateWriteAsync(channel, 0x3001, 1024 * 1024);
        var idle = ResidentBytes(server.Pid);
        var forged = new CapabilitySigner(new byte[32]).Sign("victim", 0x3002, write: true, ulong.MaxValue, "mallory");
        using var handler = new SocketsHttpHandler();
        using var http = new HttpClient(handler) { Timeout = Timeout };
        long peak = 0;
        using var sampling = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!sampling.IsCancellationRequested)
            {
                peak = Math.Max(peak, ResidentBytes(server.Pid));
                await Task.Delay(20, CancellationToken.None);
            }
        });

        // Act
        var statuses = new List<string?>();
        for (var round = 0; round < 3; round++)
        {
            statuses.AddRange(await Task.WhenAll(Enumerable.Range(0, 48).Select(i =>
                RawWriteAsync(http, server.Address, i % 2 == 0 ? null : forged, 64 * 1024 * 1024))));
        }

        await sampling.CancelAsync();
        await sampler;
        var after = ResidentBytes(server.Pid);
        await LegitimateWriteAsync(channel, 0x3003, 1024 * 1024);
        output.WriteLine($"RSS idle {idle >> 20} MiB, peak {peak >> 20} MiB, after {after >> 20} MiB");

        // Assert: all PermissionDenied (7); the server's memory stayed within idle + 64 MiB (the
        // payloads refused add up to 9 GiB) and it keeps serving
        Assert.Equal(144, statuses.Count);
        Assert.All(statuses, status => Assert.Equal("7", status));
        Assert.True(peak - idle < 64L << 20, $"RSS grew from {idle >> 20} MiB to {peak >> 20} MiB during the refused writes");
        Assert.True(after - idle < 64L << 20, $"RSS stayed at {after >> 20} MiB after the refused writes (idle {idle >> 20} MiB)");
    }

    // Row 1, and running out of file handles: under `ulimit -n 512`, many writers that write once and
    // never close hold no file handle; the metadata server's abort (sent when their leases end) takes
    // their stages away; and a server with no handle left answers Unavailable (retry later), then recovers.
    // The top of its descriptor table stays free throughout (DescriptorReserve): a full table once
    // ended the process ("Out of memory.", SIGABRT) when the runtime could not start a thread.
    [Fact]
    public async Task UnderALowFileLimitDeadWritersHoldNoHandlesAndRunningOutOfHandlesIsUnavailable()
    {
        // Arrange
        const int FileLimit = 512;
        const int Writers = 600;
        using var server = await StartAsync(FileLimit);
        using var channel = Channel(server);
        var files = new FileService.FileServiceClient(channel.WithCapabilityHeader());
        await LegitimateWriteAsync(channel, 0x4000, 4096);
        var baseline = OpenFiles(server.Pid);

        // Act 1: writers that each write one byte to their own file and are never heard of again
        var ids = Enumerable.Range(1, Writers).Select(i => new ObjectId { Name = $"abandoned-{i}", Generation = 0x40000UL + (ulong)i }).ToArray();
        foreach (var chunk in ids.Chunk(50))
        {
            await Task.WhenAll(chunk.Select(id => files.WriteBytesAsync(
                new WriteBytesRequest { Object = id, Capability = TestCaps.Write(id, epoch: 7), Segments = { new WriteSegment { Data = ByteString.CopyFromUtf8("x") } } },
                deadline: DateTime.UtcNow + Timeout).ResponseAsync));
        }

        var withStages = OpenFiles(server.Pid);
        var stagesOnDisk = StripeObjectFiles.StageFiles(server.DataDirectory).Length;

        // Act 2: their leases end; the metadata server aborts each on this server
        foreach (var chunk in ids.Chunk(50))
        {
            await Task.WhenAll(chunk.Select(id => files.AbortObjectAsync(
                new AbortObjectRequest { Object = id, Capability = TestCaps.Commit(id, epoch: 7) }, deadline: DateTime.UtcNow + Timeout).ResponseAsync));
        }

        var late = await Assert.ThrowsAsync<RpcException>(() => files.WriteBytesAsync(
            new WriteBytesRequest { Object = ids[0], Capability = TestCaps.Write(ids[0], epoch: 7), Segments = { new WriteSegment { Data = ByteString.CopyFromUtf8("late") } } }).ResponseAsync);
        var stagesAfterAbort = StripeObjectFiles.StageFiles(server.DataDirectory).Length;

        // Act 3: idle connections take every handle the server may open; then a write to a new object
        // and a read of an existing one need handles
        var flood = new List<Socket>();
        try
        {
            for (var i = OpenFiles(server.Pid); i < FileLimit + 16; i++)
            {
                flood.Add(await IdleConnectionAsync(server));
            }

            // Once Kestrel has taken the last handle for a connection, a write to a new object (which
            // must open its files) fails; until then such writes succeed.
            RpcException? exhaustedWrite = null;
            var probe = 0x50000UL;
            await Wait.UntilAsync(
                async () =>
                {
                    var fresh = new ObjectId { Name = "no handles", Generation = probe++ };
                    try
                    {
                        await files.WriteBytesAsync(
                            new WriteBytesRequest { Object = fresh, Capability = TestCaps.Write(fresh, epoch: 9), Segments = { new WriteSegment { Data = ByteString.CopyFromUtf8("x") } } },
                            deadline: DateTime.UtcNow + Timeout);
                        return false;
                    }
                    catch (RpcException ex)
                    {
                        if (server.Process.HasExited)
                        {
                            Assert.Fail($"the file server exited with {server.Process.ExitCode} ({ex.Status}); its output:{Environment.NewLine}{server.Process.Output}");
                        }

                        exhaustedWrite = ex;
                        return true;
                    }
                },
                "a write finds the file server out of file handles",
                Timeout);
            var openInTheFlood = OpenFiles(server.Pid);
            var exhaustedRead = await Assert.ThrowsAsync<RpcException>(() => files.ReadBytesAsync(
                new ReadBytesRequest { Object = new ObjectId { Generation = 0x4000 }, Capability = TestCaps.Read(new ObjectId { Generation = 0x4000 }), Ranges = { new ByteRange { Length = 10 } } },
                deadline: DateTime.UtcNow + Timeout).ResponseAsync);

            // Assert (exhaustion)
            Assert.True(exhaustedWrite!.StatusCode == StatusCode.Unavailable, $"the write failed with {exhaustedWrite.Status}");
            Assert.Contains("file handles", exhaustedWrite.Status.Detail, StringComparison.Ordinal);
            Assert.Equal(StatusCode.Unavailable, exhaustedRead.StatusCode);
            Assert.True(openInTheFlood <= FileLimit - DescriptorReserve.MinReserve, $"the flood took the server to {openInTheFlood} of its {FileLimit} descriptors");
        }
        finally
        {
            foreach (var socket in flood)
            {
                socket.Dispose();
            }
        }

        // Act 4: the handles come back
        await Wait.UntilAsync(() => OpenFiles(server.Pid) < baseline + 32, "the flood's connections are closed", Timeout);
        await WriteOnceHandlesAreBackAsync(channel, 0x4FF00);
        using (var fresh = Channel(server))
        {
            // A new connection is accepted again: the accept loop outlived the flood.
            await LegitimateWriteAsync(fresh, 0x4FF80, 4096);
        }

        output.WriteLine(server.Process.Output);
        output.WriteLine($"open files: {baseline} idle, {withStages} with {Writers} stages ({stagesOnDisk} stage files on disk)");

        // Assert
        Assert.Equal(2 * Writers, stagesOnDisk);
        Assert.True(withStages < baseline + 16, $"{Writers} idle stages took the server from {baseline} to {withStages} open files");
        Assert.Equal(StatusCode.FailedPrecondition, late.StatusCode);
        Assert.Equal(0, stagesAfterAbort);
        Assert.False(server.Process.HasExited);
        Assert.DoesNotContain("Unhandled exception", server.Process.Output, StringComparison.Ordinal);
        Assert.Contains("Closed ", server.Process.Output, StringComparison.Ordinal);
        Assert.Contains($"of the process's {FileLimit} (ulimit -n)", server.Process.Output, StringComparison.Ordinal);
    }

    // Scrub passes while a flood of connections holds every descriptor the server may take: each pass
    // completes (the listing takes a descriptor of the runtime's reserve for a moment), skips an object
    // it cannot open, or fails; the server goes on serving and scrubbing. Before, a failed pass ended the
    // scrub's background service, and with it the whole file server (the host stops when a background
    // service fails).
    [Fact]
    public async Task ScrubPassesDuringAFloodThatTakesEveryHandleDoNotStopTheServer()
    {
        // Arrange: a committed object to scrub, and passes back to back
        const int FileLimit = 512;
        using var server = await StartAsync(FileLimit, new Dictionary<string, string> { ["Pfs__ScrubPauseSeconds"] = "0.05", ["Pfs__ScrubQuietSeconds"] = "0.01" });
        using var channel = Channel(server);
        await LegitimateWriteAsync(channel, 0x6000, 4096);
        var baseline = OpenFiles(server.Pid);

        // Act: idle connections until the server closes them at accept (all it may take is taken); then
        // two more passes end, or fail, while they are held; then the handles go back
        var flood = new List<Socket>();
        int passesInTheFlood;
        try
        {
            await Wait.UntilAsync(
                async () =>
                {
                    if (server.Process.Output.Contains("Pfs.Connections[210]", StringComparison.Ordinal) || server.Process.HasExited)
                    {
                        return true;
                    }

                    for (var i = 0; i < 16 && flood.Count < FileLimit + 64; i++)
                    {
                        flood.Add(await IdleConnectionAsync(server));
                    }

                    return false;
                },
                "the server closes connections at accept",
                Timeout);
            var ended = PassesEnded(server.Process.Output);
            await Wait.UntilAsync(() => PassesEnded(server.Process.Output) >= ended + 2 || server.Process.HasExited, "two scrub passes end during the flood", Timeout);
            passesInTheFlood = PassesEnded(server.Process.Output) - ended;
        }
        finally
        {
            foreach (var socket in flood)
            {
                socket.Dispose();
            }
        }

        // Assert: still running, still serving, and scrubbing again
        Assert.False(server.Process.HasExited, server.Process.Output);
        await Wait.UntilAsync(() => OpenFiles(server.Pid) < baseline + 32, "the flood's connections are closed", Timeout);
        await WriteOnceHandlesAreBackAsync(channel, 0x6001);
        var passes = Count(server.Process.Output, "Scrub pass:");
        await Wait.UntilAsync(() => Count(server.Process.Output, "Scrub pass:") > passes, "a scrub pass completes after the flood", Timeout);
        output.WriteLine($"{passesInTheFlood} scrub passes ended during the flood, {Count(server.Process.Output, "Scrub pass failed")} of all failed");
        Assert.False(server.Process.HasExited, server.Process.Output);
    }

    private static int PassesEnded(string serverOutput) => Count(serverOutput, "Scrub pass:") + Count(serverOutput, "Scrub pass failed");

    // Connections the kernel queued while no handle was left are still accepted (and found closed) for a
    // moment after a flood goes, each taking a handle: a write may find none until they are through.
    private static async Task WriteOnceHandlesAreBackAsync(GrpcChannel channel, ulong firstGeneration)
    {
        var generation = firstGeneration;
        await Wait.UntilAsync(
            async () =>
            {
                try
                {
                    await LegitimateWriteAsync(channel, generation++, 4096);
                    return true;
                }
                catch (RpcException ex) when (ex.StatusCode == StatusCode.Unavailable)
                {
                    return false;
                }
            },
            "a write succeeds once the handles are back",
            Timeout);
    }

    private static int Count(string text, string what)
    {
        var count = 0;
        for (var at = text.IndexOf(what, StringComparison.Ordinal); at >= 0; at = text.IndexOf(what, at + what.Length, StringComparison.Ordinal))
        {
            count++;
        }

        return count;
    }

    private async Task<ServerProcess> StartAsync(int? openFileLimit = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var keyFile = Path.Join(_root, "cluster.key");
        await File.WriteAllTextAsync(keyFile, TestCaps.Key);
        var port = FreePort();
        var dataDirectory = Path.Join(_root, $"fs-{port}");
        string[] args = ["--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--data-dir", dataDirectory, "--cluster-key-file", keyFile];
        var process = openFileLimit is { } limit
            ? ChildProcess.StartWithOpenFileLimit(limit, environment, "Pfs.FileServer", args)
            : ChildProcess.Start("Pfs.FileServer", environment, args);
        var server = new ServerProcess(process, new Uri($"http://127.0.0.1:{port}"), dataDirectory);
        try
        {
            await process.WaitForAsync("listening", Timeout);
        }
        catch
        {
            server.Dispose();
            throw;
        }

        return server;
    }

    // A connection that sends the HTTP/2 preface and then nothing. The server may close it as soon as it
    // is accepted (its descriptor is in the reserve); the send then finds it reset, which is no failure.
    private static async Task<Socket> IdleConnectionAsync(ServerProcess server)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(IPAddress.Loopback, server.Address.Port);
            await socket.SendAsync("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"u8.ToArray());
        }
        catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionReset or SocketError.Shutdown)
        {
            // Closed at accept.
        }

        return socket;
    }

    private static GrpcChannel Channel(ServerProcess server) =>
        GrpcChannel.ForAddress(server.Address, new GrpcChannelOptions { MaxSendMessageSize = PfsLimits.MaxMessageBytes, MaxReceiveMessageSize = PfsLimits.MaxMessageBytes });

    // A writer's write, close (sync) and commit, and a read of it back: what a legitimate client does.
    private static async Task LegitimateWriteAsync(GrpcChannel channel, ulong generation, int bytes)
    {
        var files = new FileService.FileServiceClient(channel.WithCapabilityHeader());
        var id = new ObjectId { Name = "legitimate", Generation = generation };
        var data = TestData.Bytes(bytes, (int)generation);
        var deadline = DateTime.UtcNow + Timeout;
        await files.WriteBytesAsync(new WriteBytesRequest { Object = id, Capability = TestCaps.Write(id, epoch: 1), Sync = true, Segments = { new WriteSegment { Data = ByteString.CopyFrom(data) } } }, deadline: deadline);
        await files.CommitObjectAsync(new CommitObjectRequest { Object = id, Capability = TestCaps.Commit(id, epoch: 1) }, deadline: deadline);
        var read = await files.ReadBytesAsync(new ReadBytesRequest { Object = id, Capability = TestCaps.Read(id), Ranges = { new ByteRange { Length = bytes } } }, deadline: deadline);
        Assert.Equal(data, read.Data[0].ToByteArray());
    }

    // A WriteBytes call sent as raw HTTP/2, its payload produced as it is sent (the test must not hold
    // 48 x 64 MiB either). Returns the grpc-status the server answered with.
    private static async Task<string?> RawWriteAsync(HttpClient http, Uri server, Capability? capability, int payloadBytes)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(server, "/pfs.fileserver.v1.FileService/WriteBytes"))
        {
            Version = HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new GrpcPayload(payloadBytes),
        };
        request.Headers.TryAddWithoutValidation("te", "trailers");
        if (capability is not null)
        {
            request.Headers.TryAddWithoutValidation(CapabilityHeader.Name, Convert.ToBase64String(capability.ToByteArray()));
        }

        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        await response.Content.ReadAsByteArrayAsync();
        return response.Headers.TryGetValues("grpc-status", out var headers) ? headers.Single()
            : response.TrailingHeaders.TryGetValues("grpc-status", out var trailers) ? trailers.Single()
            : null;
    }

    private static long ResidentBytes(int pid)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
            }
        }

        throw new InvalidOperationException($"no VmRSS for process {pid}");
    }

    private static int OpenFiles(int pid) => Directory.GetFiles($"/proc/{pid}/fd").Length;

    private static int FreePort() => TestPorts.Free();

    private sealed class ServerProcess(ChildProcess process, Uri address, string dataDirectory) : IDisposable
    {
        public ChildProcess Process { get; } = process;

        public Uri Address { get; } = address;

        public string DataDirectory { get; } = dataDirectory;

        public int Pid => Process.Pid;

        public void Dispose() => Process.Dispose();
    }

    // The 5-byte gRPC frame prefix of a message of `length` bytes, then that many zero bytes.
    private sealed class GrpcPayload : HttpContent
    {
        private static readonly byte[] Chunk = new byte[256 * 1024];
        private readonly int _messageBytes;

        public GrpcPayload(int messageBytes)
        {
            _messageBytes = messageBytes;
            Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/grpc");
        }

        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            var prefix = new byte[5];
            BinaryPrimitives.WriteUInt32BigEndian(prefix.AsSpan(1), (uint)_messageBytes);
            await stream.WriteAsync(prefix);
            for (var sent = 0; sent < _messageBytes; sent += Chunk.Length)
            {
                await stream.WriteAsync(Chunk.AsMemory(0, Math.Min(Chunk.Length, _messageBytes - sent)));
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
