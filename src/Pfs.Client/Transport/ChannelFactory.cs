using Grpc.Net.Client;
using Grpc.Net.Client.Configuration;

namespace Pfs.Client.Transport;

/// <summary>gRPC channels tuned for Pfs: h2c, large flow-control windows, keep-alive pings that find dead peers.</summary>
internal static class ChannelFactory
{
    private const int MaxMessageBytes = Pfs.Protocol.PfsLimits.MaxMessageBytes;

    public static GrpcChannel Create(Uri address, PfsClientOptions options, ServiceConfig? serviceConfig = null)
    {
        var handler = new SocketsHttpHandler
        {
            EnableMultipleHttp2Connections = true,
            // The 64 KiB default starts every bulk read slowly; see PERF-NOTES.
            InitialHttp2StreamWindowSize = 8 * 1024 * 1024,
            // A peer that stops answering (hung, or the network is gone) is found within about
            // 2 x the delay even while a call waits for a lock, so nothing hangs.
            KeepAlivePingDelay = TimeSpan.FromSeconds(Math.Clamp(options.OperationTimeout.TotalSeconds / 3, 1, 15)),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(Math.Clamp(options.OperationTimeout.TotalSeconds / 3, 1, 15)),
            KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests,
            ConnectTimeout = options.OperationTimeout,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
        };
        return GrpcChannel.ForAddress(address, new GrpcChannelOptions
        {
            HttpHandler = handler,
            DisposeHttpClient = true,
            MaxReceiveMessageSize = MaxMessageBytes,
            MaxSendMessageSize = MaxMessageBytes,
            MaxRetryBufferPerCallSize = MaxMessageBytes,
            MaxRetryBufferSize = 4L * MaxMessageBytes,
            ServiceConfig = serviceConfig,
            // gRPC's default reconnect backoff grows to two minutes; a storage client must find a
            // restarted server within its retries, not minutes later.
            InitialReconnectBackoff = TimeSpan.FromMilliseconds(100),
            MaxReconnectBackoff = TimeSpan.FromSeconds(1),
            LoggerFactory = options.LoggerFactory,
        });
    }
}
