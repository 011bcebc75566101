using Grpc.Net.Client;
using Grpc.Net.Client.Configuration;
using Pfs.Protocol.Transport;

namespace Pfs.Client.Transport;

/// <summary>The client's channels: bulk transfer, connect timeout and keep-alive pings taken from its options.</summary>
internal static class ChannelFactory
{
    public static GrpcChannel Create(Uri address, PfsClientOptions options, ServiceConfig? serviceConfig = null) =>
        PfsChannel.Create(address, new PfsChannelOptions
        {
            ConnectTimeout = options.OperationTimeout,
            // A peer that stops answering (hung, or the network is gone) is found within about
            // 2 x the interval even while a call waits for a lock, so nothing hangs.
            KeepAlivePing = TimeSpan.FromSeconds(Math.Clamp(options.OperationTimeout.TotalSeconds / 3, 1, 15)),
            BulkTransfer = true,
            ServiceConfig = serviceConfig,
            LoggerFactory = options.LoggerFactory,
            TlsCaFile = options.TlsCa,
        });
}
