using Microsoft.Extensions.Logging;

namespace Pfs.Cli.Output;

/// <summary>
/// Log lines for a long-running command (the mount) on stderr, one line each: <c>pfs mount: warning: ...</c>.
/// Warnings and errors (of gRPC's own categories errors only: its warnings carry no context), and the few Information
/// events that end one (a close that landed after retries, a file server back); the command prints its own start and
/// stop. A tool's stderr, not a log pipeline: no scopes, and an exception adds only its message.
/// </summary>
internal sealed class StderrLoggerFactory(TextWriter error, string prefix) : ILoggerFactory
{
    private readonly Lock _writing = new();
    private volatile bool _open;

    /// <summary>
    /// From now on lines are written; before, they are dropped: while a command starts, its own one-line refusal says
    /// what failed (the client's retries against a cluster it cannot reach would add a line each).
    /// </summary>
    public void Open() => _open = true;

    // The Information events worth a line: each tells that a warning before it is over.
    private static readonly HashSet<string> Endings = ["MountCloseRetried", "FileServerBack"];

    // gRPC's own warnings ("gRPC call deadline exceeded.") name no server, file or operation, and the client logs
    // each failure that matters with those: only gRPC's errors get a line of their own.
    public ILogger CreateLogger(string categoryName) =>
        new StderrLogger(this, categoryName.StartsWith("Grpc.", StringComparison.Ordinal) ? LogLevel.Error : LogLevel.Warning);

    public void AddProvider(ILoggerProvider provider) =>
        throw new NotSupportedException("this factory writes to stderr only");

    public void Dispose()
    {
    }

    private void Write(LogLevel level, string message, Exception? exception)
    {
        if (!_open)
        {
            return;
        }

        var label = level switch
        {
            LogLevel.Information => "info",
            LogLevel.Warning => "warning",
            LogLevel.Error => "error",
            LogLevel.Critical => "critical",
            _ => "debug",
        };
        var line = exception is null ? $"{prefix}: {label}: {message}" : $"{prefix}: {label}: {message}: {exception.Message}";
        lock (_writing)
        {
            error.WriteLine(line.ReplaceLineEndings(" "));
            error.Flush();
        }
    }

    private sealed class StderrLogger(StderrLoggerFactory factory, LogLevel least) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel is >= LogLevel.Information and not LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if ((logLevel >= least && logLevel != LogLevel.None) || (logLevel == LogLevel.Information && eventId.Name is { } name && Endings.Contains(name)))
            {
                factory.Write(logLevel, formatter(state, exception), exception);
            }
        }
    }
}
