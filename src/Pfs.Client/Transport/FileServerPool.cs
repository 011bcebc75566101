using System.Collections.Concurrent;
using System.Diagnostics;
using Grpc.Core;
using Grpc.Net.Client;
using Grpc.Net.Client.Configuration;
using Microsoft.Extensions.Logging;
using Pfs.Protocol.FileServer;
using Pfs.Protocol.Transport;

namespace Pfs.Client.Transport;

/// <summary>One file server as the client sees it: one channel, reused by every file striped over it.</summary>
internal sealed class FileServerConnection(string address, GrpcChannel channel, TimeSpan? downPeriod = null, ILogger? logger = null) : IDisposable
{
    // A probe's first wait and its longest: a server back within a second is used again within
    // about that long, and one that stays down costs a Capacity call a second.
    internal static readonly TimeSpan FirstProbeDelay = TimeSpan.FromMilliseconds(100);

    internal static readonly TimeSpan MaxProbeDelay = TimeSpan.FromSeconds(1);

    private readonly long _downTicks = (long)((downPeriod ?? TimeSpan.FromSeconds(3)).TotalSeconds * Stopwatch.Frequency);

    private readonly CancellationTokenSource _disposed = new();

    public string Address { get; } = address;

    public GrpcChannel Channel { get; } = channel;

    public FileService.FileServiceClient Client { get; } = new(channel);

    /// <summary>For calls with marshallers of our own (<see cref="ReadBytesMethod"/>).</summary>
    public CallInvoker Invoker { get; } = channel.CreateCallInvoker();

    // Stopwatch timestamp until which shard reads and writes of files with parity skip this
    // server (it just failed one): they decode from the others instead of waiting for it again.
    private long _downUntil;

    // 1 while a probe runs.
    private int _probing;

    /// <summary>Whether a call to this server failed within the last few seconds and no probe has found it back since.</summary>
    public bool IsDown => Stopwatch.GetTimestamp() < Volatile.Read(ref _downUntil);

    /// <summary>
    /// A call to this server failed as if it were down: skip it for files with parity for a while, and
    /// probe it meanwhile, so that it is used again as soon as it answers (a file written while it is
    /// skipped is degraded until a repair, with every server up).
    /// </summary>
    public void MarkDown()
    {
        Volatile.Write(ref _downUntil, Stopwatch.GetTimestamp() + _downTicks);
        StartProbe();
    }

    /// <summary>A call to this server just succeeded: it is not down, whatever failed before.</summary>
    public void MarkUp() => Volatile.Write(ref _downUntil, 0);

    public void Dispose()
    {
        _disposed.Cancel();
        Channel.Dispose();
    }

    private void StartProbe()
    {
        if (!_disposed.IsCancellationRequested && Interlocked.CompareExchange(ref _probing, 1, 0) == 0)
        {
            _ = Task.Run(ProbeAsync);
        }
    }

    // Asks the server its capacity (cheap, and needs no capability) with a growing pause until it answers,
    // is no longer skipped (the down period ran out, or a call of its own succeeded), or the client is disposed.
    private async Task ProbeAsync()
    {
        var delay = FirstProbeDelay;
        try
        {
            while (IsDown)
            {
                await Task.Delay(delay, _disposed.Token).ConfigureAwait(false);
                try
                {
                    await Client.CapacityAsync(new CapacityRequest(), deadline: DateTime.UtcNow + MaxProbeDelay, cancellationToken: _disposed.Token)
                        .ResponseAsync.ConfigureAwait(false);
                    if (IsDown)
                    {
                        MarkUp();
                        if (logger is not null)
                        {
                            Log.FileServerBack(logger, Address);
                        }
                    }

                    break;
                }
                catch (RpcException) when (!_disposed.IsCancellationRequested)
                {
                    delay = delay * 2 < MaxProbeDelay ? delay * 2 : MaxProbeDelay;
                }
            }
        }
        catch (Exception) when (_disposed.IsCancellationRequested)
        {
            // The client is being disposed.
        }
        finally
        {
            Volatile.Write(ref _probing, 0);
        }

        // A failure between the loop's last look and the reset above found the probe still running.
        if (IsDown)
        {
            StartProbe();
        }
    }
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
                connection.Value.Dispose();
            }
        }
    }

    private FileServerConnection Connect(string address)
    {
        return new FileServerConnection(address, ChannelFactory.Create(PfsAddress.Parse(address), options, FileServerServiceConfig()), options.DownServerRetry,
                                        options.LoggerFactory?.CreateLogger<FileServerPool>());
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
