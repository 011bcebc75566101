using System.Collections.Concurrent;
using Grpc.Core;
using Grpc.Net.Client;
using Grpc.Net.Client.Configuration;
using Pfs.Protocol.FileServer;

namespace Pfs.Client.Transport;

/// <summary>One file server as the client sees it: one channel, reused by every file striped over it.</summary>
internal sealed class FileServerConnection(string address, GrpcChannel channel)
{
    public string Address { get; } = address;

    public GrpcChannel Channel { get; } = channel;

    public FileService.FileServiceClient Client { get; } = new(channel);
}

/// <summary>The client's channels to file servers, by address.</summary>
internal sealed class FileServerPool(PfsClientOptions options) : IDisposable
{
    private readonly ConcurrentDictionary<string, Lazy<FileServerConnection>> _connections = new(StringComparer.OrdinalIgnoreCase);

    public FileServerConnection Get(string address) =>
        _connections.GetOrAdd(address, a => new Lazy<FileServerConnection>(() => Connect(a))).Value;

    public void Dispose()
    {
        foreach (var connection in _connections.Values)
        {
            if (connection.IsValueCreated)
            {
                connection.Value.Channel.Dispose();
            }
        }
    }

    private FileServerConnection Connect(string address)
    {
        var uri = address.Contains("://", StringComparison.Ordinal) ? new Uri(address) : new Uri("http://" + address);
        return new FileServerConnection(address, ChannelFactory.Create(uri, options, FileServerServiceConfig()));
    }

    // Reads and positional writes are idempotent, so a call that finds a server restarting is
    // tried again within the operation's deadline instead of failing at once.
    private static ServiceConfig FileServerServiceConfig() => new()
    {
        MethodConfigs =
        {
            new MethodConfig
            {
                Names = { MethodName.Default },
                RetryPolicy = new RetryPolicy
                {
                    MaxAttempts = 5,
                    InitialBackoff = TimeSpan.FromMilliseconds(100),
                    MaxBackoff = TimeSpan.FromSeconds(2),
                    BackoffMultiplier = 2,
                    RetryableStatusCodes = { StatusCode.Unavailable },
                },
            },
        },
    };
}
