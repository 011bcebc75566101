using Microsoft.Extensions.Logging;

namespace Pfs.Client;

internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Warning, "Notice stream from the metadata server ended ({Reason}); reconnecting and dropping cached blocks")]
    public static partial void NoticeStreamEnded(ILogger logger, string reason);

    [LoggerMessage(2, LogLevel.Warning, "Writing back {Count} evicted blocks of '{File}' failed ({Reason}); they stay cached and dirty until the file's close")]
    public static partial void WriteBackFailed(ILogger logger, string file, int count, string reason);

    [LoggerMessage(3, LogLevel.Warning, "'{File}' was deleted, but some of its stripe objects could not be removed ({Reason}); they are unreachable garbage")]
    public static partial void OrphanedBlocks(ILogger logger, string file, string reason);

    [LoggerMessage(4, LogLevel.Warning, "Closing '{File}' while disposing the client failed: {Reason}")]
    public static partial void CloseOnDisposeFailed(ILogger logger, string file, string reason);

    [LoggerMessage(5, LogLevel.Debug, "Release of open {OpenId} failed ({Reason}); the session lease will free it")]
    public static partial void ReleaseFailed(ILogger logger, ulong openId, string reason);
}
