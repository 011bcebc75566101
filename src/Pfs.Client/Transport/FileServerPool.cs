using System.Collections.Concurrent;
using System.Diagnostics;
using Grpc.Core;
using Grpc.Net.Client;
using Grpc.Net.Client.Configuration;
using Pfs.Protocol.FileServer;
using Pfs.Protocol.Transport;

namespace Pfs.Client.Transport;

/// <summary>One file server as the client sees it: one channel, reused by every file striped over it.</summary>
internal sealed class FileServerConnection(string address, GrpcChannel channel, TimeSpan? downPeriod = null)
{
    private readonly long _downTicks = (long)((downPeriod ?? TimeSpan.FromSeconds(3)).TotalSeconds * Stopwatch.Frequency);

    public string Address { get; } = address;

    public GrpcChannel Channel { get; } = channel;

    public FileService.FileServiceClient Client { get; } = new(channel);

    /// <summary>For calls with marshallers of our own (<see cref="ReadBytesMethod"/>).</summary>
    public CallInvoker Invoker { get; } = channel.CreateCallInvoker();

    // Stopwatch timestamp until which shard reads and writes of files with parity skip this
    // server (it just failed one): they decode from the others instead of waiting for it again.
    private long _downUntil;

    /// <summary>Whether a call to this server failed within the last few seconds.</summary>
    public bool IsDown => Stopwatch.GetTimestamp() < Volatile.Read(ref _downUntil);

    /// <summary>A call to this server failed as if it were down: skip it for files with parity for a while.</summary>
    public void MarkDown() => Volatile.Write(ref _downUntil, Stopwatch.GetTimestamp() + _downTicks);

    /// <summary>A call to this server just succeeded: it is not down, whatever failed before.</summary>
    public void MarkUp() => Volatile.Write(ref _downUntil, 0);
}

/// <summary>The client's channels to file servers, by address.</summary>
internal sealed class FileServerPool(PfsClientOptions options) : IDisposable
{
    /// <summary>Attempts of a call that fails with Unavailable (the first included).</summary>
    internal const int RetryAttempts = 5;

    internal static readonly TimeSpan InitialBackoff = TimeSpan.FromMilliseconds(100);

    internal static readonly TimeSpan MaxBackoff = TimeSpan.FromSeconds(2);

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
        return new FileServerConnection(address, ChannelFactory.Create(PfsAddress.Parse(address), options, FileServerServiceConfig()), options.DownServerRetry);
    }

    // Reads and positional writes are idempotent, so a call that finds a server restarting is
    // tried again within the operation's deadline instead of failing at once. Writes are retried
    // by BlockTransport instead: gRPC's retries keep a private copy of every request they may
    // resend, a fresh array as large as the payload (1 MiB blocks: one large-object array per call).
    private static ServiceConfig FileServerServiceConfig() => new()
    {
        MethodConfigs =
        {
            new MethodConfig
            {
                Names = { MethodName.Default },
                RetryPolicy = new RetryPolicy
                {
                    MaxAttempts = RetryAttempts,
                    InitialBackoff = InitialBackoff,
                    MaxBackoff = MaxBackoff,
                    BackoffMultiplier = 2,
                    RetryableStatusCodes = { StatusCode.Unavailable },
                },
            },
            new MethodConfig
            {
                Names = { new MethodName { Service = FileService.Descriptor.FullName, Method = "WriteBytes" } },
            },
        },
    };
}
