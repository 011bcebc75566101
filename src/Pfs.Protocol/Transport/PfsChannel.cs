using Grpc.Net.Client;
using Grpc.Net.Client.Configuration;
using Microsoft.Extensions.Logging;

namespace Pfs.Protocol.Transport;

/// <summary>How <see cref="PfsChannel.Create"/> tunes a channel beyond what every Pfs channel gets.</summary>
public sealed record PfsChannelOptions
{
    /// <summary>How long a connection attempt may take.</summary>
    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Keep-alive ping interval (and timeout) while calls are active, so a peer that stopped
    /// answering is found within about twice this even while a call waits; null sends no pings.
    /// </summary>
    public TimeSpan? KeepAlivePing { get; init; }

    /// <summary>
    /// Bulk transfer: messages up to one block of the largest size, and an 8 MiB stream window
    /// (the 64 KiB default, grown as data arrives, costs bulk reads 10-15%).
    /// </summary>
    public bool BulkTransfer { get; init; }

    /// <summary>Retry policies and the like, by method.</summary>
    public ServiceConfig? ServiceConfig { get; init; }

    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>
    /// A PEM file of the CA certificate(s) an https server's certificate must chain to (the
    /// cluster's own CA), instead of the system's trust store. The host name is checked either way.
    /// </summary>
    public string? TlsCaFile { get; init; }
}

/// <summary>The one way Pfs makes a gRPC channel (client, servers, CLI, AppHost): cleartext HTTP/2 to a Pfs server.</summary>
public static class PfsChannel
{
    /// <summary>
    /// gRPC's default reconnect backoff grows to two minutes; a storage client must find a restarted
    /// server within its retries, not minutes later.
    /// </summary>
    public static readonly TimeSpan InitialReconnectBackoff = TimeSpan.FromMilliseconds(100);

    /// <inheritdoc cref="InitialReconnectBackoff"/>
    public static readonly TimeSpan MaxReconnectBackoff = TimeSpan.FromSeconds(1);

    private const int StreamWindowBytes = 8 * 1024 * 1024;

    /// <summary>How long a pooled connection with no call in flight is kept.</summary>
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(60);

    /// <summary>A channel to <paramref name="address"/>; the caller disposes it (which disposes its handler).</summary>
    public static GrpcChannel Create(Uri address, PfsChannelOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(address);
        options ??= new PfsChannelOptions();
        var handler = new SocketsHttpHandler
        {
            // Many calls in flight to one server (opens wait server-side for locks) spill onto more connections.
            EnableMultipleHttp2Connections = true,
            // Below the servers' idle timeout (Pfs:IdleSeconds, 120 s), so the client lets an idle
            // connection go before the server would.
            PooledConnectionIdleTimeout = IdleTimeout,
            ConnectTimeout = options.ConnectTimeout,
        };
        if (options.TlsCaFile is { Length: > 0 } caFile)
        {
            handler.SslOptions.CertificateChainPolicy = TlsFiles.TrustOnly(caFile);
        }

        if (options.KeepAlivePing is { } ping)
        {
            handler.KeepAlivePingDelay = ping;
            handler.KeepAlivePingTimeout = ping;
            handler.KeepAlivePingPolicy = HttpKeepAlivePingPolicy.WithActiveRequests;
        }

        var channelOptions = new GrpcChannelOptions
        {
            HttpHandler = handler,
            DisposeHttpClient = true,
            ServiceConfig = options.ServiceConfig,
            InitialReconnectBackoff = InitialReconnectBackoff,
            MaxReconnectBackoff = MaxReconnectBackoff,
            LoggerFactory = options.LoggerFactory,
        };
        if (options.BulkTransfer)
        {
            handler.InitialHttp2StreamWindowSize = StreamWindowBytes;
            channelOptions.MaxReceiveMessageSize = PfsLimits.MaxMessageBytes;
            channelOptions.MaxSendMessageSize = PfsLimits.MaxMessageBytes;
            channelOptions.MaxRetryBufferPerCallSize = PfsLimits.MaxMessageBytes;
            channelOptions.MaxRetryBufferSize = 4L * PfsLimits.MaxMessageBytes;
        }

        return GrpcChannel.ForAddress(address, channelOptions);
    }
}
