using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;

namespace Pfs.Tests.Fixtures;

/// <summary>
/// Keeps what in-process clients log (Information and above, time-stamped, the last <see cref="Capacity"/> lines of all
/// of them together), so a test that fails rarely can print it with the servers' logs: the client's side of a broken
/// stream shows nowhere else.
/// </summary>
public sealed class ClientLogs
{
    private const int Capacity = 2000;
    private readonly ConcurrentQueue<string> _lines = new();
    private readonly long _started = Stopwatch.GetTimestamp();

    /// <summary>The lines kept, oldest first.</summary>
    public IReadOnlyList<string> Lines => [.. _lines];

    /// <summary>A logger factory for one client, whose lines name <paramref name="clientId"/>.</summary>
    public ILoggerFactory For(string clientId) => new Factory(this, clientId);

    private void Add(string line)
    {
        _lines.Enqueue(line);
        while (_lines.Count > Capacity && _lines.TryDequeue(out _))
        {
        }
    }

    private sealed class Factory(ClientLogs owner, string clientId) : ILoggerFactory
    {
        public ILogger CreateLogger(string categoryName) => new Recorder(owner, $"{clientId} {categoryName}");

        public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException("a recording factory has no providers");

        public void Dispose()
        {
        }
    }

    private sealed class Recorder(ClientLogs owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }

            var at = Stopwatch.GetElapsedTime(owner._started).TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture);
            owner.Add($"[{at} s] {logLevel} {category}: {formatter(state, exception)}{(exception is null ? string.Empty : " (" + exception.GetType().Name + ": " + exception.Message + ")")}");
        }
    }
}
