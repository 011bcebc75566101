using System.Collections.Concurrent;
using Grpc.Net.Client;
using Pfs.Protocol.FileServer;
using Pfs.Protocol.Transport;
using Pfs.ServiceDefaults.Security;

namespace Pfs.MetaServer.Services;

/// <summary>The metadata server's own channels to the file servers (for commits and reclaims), one per address.</summary>
internal sealed class FileServerClients(PfsSecurityOptions? security = null) : IDisposable
{
    private readonly PfsChannelOptions _channelOptions = new() { TlsCaFile = security?.TlsCa };

    private readonly ConcurrentDictionary<string, Lazy<(GrpcChannel Channel, FileService.FileServiceClient Client)>> _servers = new(StringComparer.Ordinal);

    public FileService.FileServiceClient For(string address) =>
        _servers.GetOrAdd(address, address => new(() =>
        {
            var channel = PfsChannel.Create(new Uri(address), _channelOptions);
            return (channel, new FileService.FileServiceClient(channel));
        })).Value.Client;

    public void Dispose()
    {
        foreach (var server in _servers.Values)
        {
            if (server.IsValueCreated)
            {
                server.Value.Channel.Dispose();
            }
        }
    }
}
