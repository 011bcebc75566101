using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.Extensions.Logging;

namespace Pfs.ServiceDefaults.Connections;

/// <summary>
/// Kestrel's transport, with every accepted connection whose socket took a descriptor from the
/// <see cref="DescriptorReserve"/> closed again before Kestrel sees it. It happens in the accept loop
/// itself, so a burst of connections cannot pile up in the reserve while their middleware waits for
/// a thread.
/// </summary>
internal sealed partial class ReservingListenerFactory(IConnectionListenerFactory inner, DescriptorReserve reserve, ILogger logger)
    : IConnectionListenerFactory, IConnectionListenerFactorySelector
{
    public const string Category = "Pfs.Connections";

    /// <summary>How often, at most, the closed connections are logged (as a count).</summary>
    private static readonly TimeSpan LogInterval = TimeSpan.FromSeconds(10);

    /// <summary>How long the loop waits before accepting again after the table was found full.</summary>
    private static readonly TimeSpan FullTablePause = TimeSpan.FromMilliseconds(100);

    public async ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default) =>
        new Listener(await inner.BindAsync(endpoint, cancellationToken).ConfigureAwait(false), reserve, logger);

    /// <summary>Logs <paramref name="shortage"/> (from <see cref="DescriptorReserve.Shortage"/>) as a warning.</summary>
    public static void WarnOfShortage(ILogger logger, string shortage) => Log.Shortage(logger, shortage);

    public bool CanBind(EndPoint endpoint) => inner is not IConnectionListenerFactorySelector selector || selector.CanBind(endpoint);

    private sealed class Listener(IConnectionListener inner, DescriptorReserve reserve, ILogger logger) : IConnectionListener
    {
        private long _closed;
        private long _lastLog = Stopwatch.GetTimestamp() - (long)(LogInterval.TotalSeconds * Stopwatch.Frequency);

        public EndPoint EndPoint => inner.EndPoint;

        public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
        {
            while (true)
            {
                ConnectionContext? connection;
                try
                {
                    connection = await inner.AcceptAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (SocketException ex) when (ex.SocketErrorCode == SocketError.TooManyOpenSockets)
                {
                    // The table is full after all (something else took the reserve): wait for descriptors to
                    // come back rather than end the accept loop, which would leave the server deaf for good.
                    Log.TableFull(logger, reserve.Limit);
                    await Task.Delay(FullTablePause, cancellationToken).ConfigureAwait(false);
                    continue;
                }

                if (connection?.Features.Get<IConnectionSocketFeature>()?.Socket is not { } socket || !reserve.Holds(socket.SafeHandle))
                {
                    return connection;
                }

                var descriptor = (long)socket.SafeHandle.DangerousGetHandle();
                connection.Abort(new ConnectionAbortedException("no file descriptor to spare"));
                await connection.DisposeAsync().ConfigureAwait(false);
                Closed(descriptor);
            }
        }

        public ValueTask UnbindAsync(CancellationToken cancellationToken = default) => inner.UnbindAsync(cancellationToken);

        public ValueTask DisposeAsync() => inner.DisposeAsync();

        private void Closed(long descriptor)
        {
            var closed = Interlocked.Increment(ref _closed);
            var now = Stopwatch.GetTimestamp();
            var last = Interlocked.Read(ref _lastLog);
            if (Stopwatch.GetElapsedTime(last, now) >= LogInterval && Interlocked.CompareExchange(ref _lastLog, now, last) == last)
            {
                Interlocked.Add(ref _closed, -closed);
                Log.ClosedAtAccept(logger, closed, descriptor, reserve.Reserve, reserve.Limit);
            }
        }
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 210, EventName = "ConnectionsClosedAtAccept", Level = LogLevel.Warning,
            Message = "Closed {Count} connection(s) as they were accepted: descriptor {Descriptor} is among the top {Reserve} of the process's {Limit} (ulimit -n), which the server keeps for the .NET runtime. Connections and stored files hold the rest; raise the limit if this is not a flood")]
        public static partial void ClosedAtAccept(ILogger logger, long count, long descriptor, long reserve, long limit);

        [LoggerMessage(EventId = 211, EventName = "DescriptorTableFull", Level = LogLevel.Error,
            Message = "No file descriptor left to accept a connection (limit {Limit}, ulimit -n); accepting again in a moment")]
        public static partial void TableFull(ILogger logger, long limit);

        [LoggerMessage(EventId = 212, EventName = "DescriptorShortage", Level = LogLevel.Warning, Message = "{Shortage}")]
        public static partial void Shortage(ILogger logger, string shortage);
    }
}
