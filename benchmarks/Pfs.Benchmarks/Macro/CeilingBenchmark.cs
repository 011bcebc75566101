using System.Diagnostics;
using Google.Protobuf;
using Grpc.Net.Client;
using Pfs.Benchmarks.Cluster;
using Pfs.Client;
using Pfs.Protocol.FileServer;

namespace Pfs.Benchmarks.Macro;

/// <summary>
/// The wire's ceiling: the same file servers driven by a bare FileService client with no Pfs logic.
/// It moves the same bytes as a sequential Pfs run at width N (message k to server k % N), in
/// messages of Pfs's MaxCallBytes with Pfs's MaxConcurrentCalls in flight, payloads wrapped
/// without a copy, one channel per server with the same HTTP/2 window as Pfs's channels, and ends
/// a write with one sync and one commit per server as a Pfs writer's close does (the commit signed
/// with the cluster key, as the metadata server signs its own). Its object is a Pfs file opened
/// for writing with message-sized blocks (so message k is that file's block k), and where the
/// protocol has capabilities the calls carry that open's; the data path has no Pfs code in it.
/// </summary>
internal sealed class CeilingBenchmark : IDisposable
{
    private readonly List<(GrpcChannel Channel, FileService.FileServiceClient Client)> _servers;
    private readonly int _messageBytes;
    private readonly int _concurrency;
    private readonly byte[] _payload;

    /// <param name="servers">The no-op servers' addresses, one connection each.</param>
    /// <param name="messageBytes">Bytes per write and per read call.</param>
    /// <param name="concurrency">Calls in flight at once, over all servers.</param>
    /// <param name="tlsCaFile">The CA that signed the servers' certificates, for https addresses; null for cleartext.</param>
    public CeilingBenchmark(IEnumerable<Uri> servers, int messageBytes, int concurrency, string? tlsCaFile = null)
    {
        _messageBytes = messageBytes;
        _concurrency = concurrency;
        _payload = new byte[messageBytes];
        Random.Shared.NextBytes(_payload);
        _servers = servers.Select(address =>
        {
            var handler = new SocketsHttpHandler
            {
                EnableMultipleHttp2Connections = true,
                InitialHttp2StreamWindowSize = 8 * 1024 * 1024,
                PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
            };
            if (tlsCaFile is not null)
            {
                handler.SslOptions.CertificateChainPolicy = Pfs.Protocol.Transport.TlsFiles.TrustOnly(tlsCaFile);
            }

            var channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions
            {
                HttpHandler = handler,
                MaxReceiveMessageSize = 65 * 1024 * 1024,
                MaxSendMessageSize = 65 * 1024 * 1024,
            });
            return (channel, new FileService.FileServiceClient(channel));
        }).ToList();
    }

    /// <summary>
    /// Creates and opens (for writing) the Pfs file whose stripe objects the ceiling moves bytes to
    /// and from; disposing the session closes and deletes it.
    /// </summary>
    public async Task<Session> OpenAsync(ProcessCluster cluster, string name, CancellationToken cancellationToken)
    {
        var client = await cluster.ConnectAsync(cancellationToken: cancellationToken);
        await client.CreateAsync(name, _servers.Count, _messageBytes, cancellationToken);
        var file = await client.OpenAsync(name, PfsOpenMode.Write, cancellationToken);
        return new Session(this, client, file, cluster.Signer);
    }

    public void Dispose()
    {
        foreach (var (channel, _) in _servers)
        {
            channel.Dispose();
        }
    }

    internal static double MegabytesPerSecond(long bytes, long startedTimestamp) =>
        bytes / Stopwatch.GetElapsedTime(startedTimestamp).TotalSeconds / 1e6;

    // Message k is block k of a file striped in message-sized blocks over all the servers.
    private (int Server, long LocalOffset) Place(int k) => (k % _servers.Count, (long)(k / _servers.Count) * _messageBytes);

    private async Task RunAsync(int messages, Func<int, Task> send)
    {
        var next = -1;
        var workers = Enumerable.Range(0, Math.Min(_concurrency, messages)).Select(async _ =>
        {
            int k;
            while ((k = Interlocked.Increment(ref next)) < messages)
            {
                await send(k);
            }
        });
        await Task.WhenAll(workers);
    }

    /// <summary>One open file the ceiling writes and reads.</summary>
    internal sealed class Session(CeilingBenchmark owner, PfsClient client, PfsFile file, Protocol.CapabilitySigner signer) : IAsyncDisposable
    {
        private readonly ObjectId _id = file.Layout.ObjectId;
        private readonly Capability? _capability = file.Layout.Capability;
        private readonly Grpc.Core.Metadata _headers = Pfs.Protocol.CapabilityHeader.For(file.Layout.Capability!);

        /// <summary>Writes <paramref name="totalBytes"/>, then syncs and commits on every server; returns MB/s (10^6 bytes per second).</summary>
        public async Task<double> WriteAsync(long totalBytes, CancellationToken cancellationToken)
        {
            var messages = (int)(totalBytes / owner._messageBytes);
            var started = Stopwatch.GetTimestamp();
            await owner.RunAsync(messages, async k =>
            {
                var (server, local) = owner.Place(k);
                var request = new WriteBytesRequest { Object = _id, Capability = _capability };
                request.Segments.Add(new WriteSegment { Offset = local, Data = UnsafeByteOperations.UnsafeWrap(owner._payload) });
                await owner._servers[server].Client.WriteBytesAsync(request, _headers, cancellationToken: cancellationToken);
            });
            await Task.WhenAll(owner._servers.Select(s => s.Client.WriteBytesAsync(
                new WriteBytesRequest { Object = _id, Sync = true, Capability = _capability }, _headers, cancellationToken: cancellationToken).ResponseAsync));
            var commit = signer.SignCommit(_id.Name, _id.Generation, _capability!.Epoch, "ceiling");
            await Task.WhenAll(owner._servers.Select(s => s.Client.CommitObjectAsync(
                new CommitObjectRequest { Object = _id, Capability = commit }, cancellationToken: cancellationToken).ResponseAsync));
            return MegabytesPerSecond(totalBytes, started);
        }

        /// <summary>Reads back what <see cref="WriteAsync"/> wrote; returns MB/s.</summary>
        public async Task<double> ReadAsync(long totalBytes, CancellationToken cancellationToken)
        {
            var messages = (int)(totalBytes / owner._messageBytes);
            var started = Stopwatch.GetTimestamp();
            await owner.RunAsync(messages, async k =>
            {
                var (server, local) = owner.Place(k);
                var request = new ReadBytesRequest { Object = _id, Capability = _capability };
                request.Ranges.Add(new ByteRange { Offset = local, Length = owner._messageBytes });
                var reply = await owner._servers[server].Client.ReadBytesAsync(request, cancellationToken: cancellationToken);
                if (reply.Data.Count != 1 || reply.Data[0].Length != owner._messageBytes)
                {
                    throw new InvalidOperationException($"ceiling read of message {k} came back short");
                }
            });
            return MegabytesPerSecond(totalBytes, started);
        }

        public async ValueTask DisposeAsync()
        {
            var name = file.Name;
            await file.CloseAsync();
            await client.DeleteAsync(name);
            await client.DisposeAsync();
        }
    }
}
