using Microsoft.Extensions.Logging;

namespace Pfs.Client;

/// <summary>The client's log messages; event ids are unique within Pfs.Client.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 1, EventName = "NoticeStreamEnded", Level = LogLevel.Warning,
        Message = "Notice stream from the metadata server ended ({Reason}); reconnecting and dropping cached blocks")]
    public static partial void NoticeStreamEnded(ILogger logger, string reason);

    [LoggerMessage(EventId = 3, EventName = "NoticeStreamFailed", Level = LogLevel.Error,
        Message = "A notice from the metadata server could not be applied; starting a new notice session and dropping cached blocks")]
    public static partial void NoticeStreamFailed(ILogger logger, Exception error);

    [LoggerMessage(EventId = 2, EventName = "WriteBackFailed", Level = LogLevel.Warning,
        Message = "Writing back {Count} evicted blocks of '{File}' failed ({Reason}); they stay cached and dirty until the file's close")]
    public static partial void WriteBackFailed(ILogger logger, string file, int count, string reason);

    [LoggerMessage(EventId = 4, EventName = "CloseOnDisposeFailed", Level = LogLevel.Warning,
        Message = "Closing '{File}' while disposing the client failed: {Reason}")]
    public static partial void CloseOnDisposeFailed(ILogger logger, string file, string reason);

    [LoggerMessage(EventId = 5, EventName = "ReleaseFailed", Level = LogLevel.Debug,
        Message = "Release of open {OpenId} failed ({Reason}); the session lease will free it")]
    public static partial void ReleaseFailed(ILogger logger, ulong openId, string reason);

    [LoggerMessage(EventId = 6, EventName = "FileServerBack", Level = LogLevel.Information,
        Message = "File server {Server} answers again after a failed call; shard reads and writes use it again")]
    public static partial void FileServerBack(ILogger logger, string server);

    [LoggerMessage(EventId = 40, EventName = "CapabilityRenewalFailed", Level = LogLevel.Warning,
        Message = "Renewing the capability of '{File}' failed ({Reason}); trying again")]
    public static partial void CapabilityRenewalFailed(ILogger logger, string file, string reason);

    [LoggerMessage(EventId = 49, EventName = "OpenLost", Level = LogLevel.Warning,
        Message = "The open of '{File}' is lost ({Reason}): its lease ran out while this client could not reach the metadata server; writes not yet closed are discarded, and its close will fail")]
    public static partial void OpenLost(ILogger logger, string file, string reason);

    [LoggerMessage(EventId = 50, EventName = "DamageReported", Level = LogLevel.Warning,
        Message = "A read of '{File}' found position {Position} damaged or lost ({Reason}); read around it and reported it (newly stale: {Marked})")]
    public static partial void DamageReported(ILogger logger, string file, int position, string reason, bool marked);

    [LoggerMessage(EventId = 51, EventName = "DamageReportFailed", Level = LogLevel.Warning,
        Message = "A read of '{File}' found position {Position} damaged or lost ({Reason}), but reporting it to the metadata server failed: {Error}")]
    public static partial void DamageReportFailed(ILogger logger, string file, int position, string reason, string error);

    [LoggerMessage(EventId = 52, EventName = "DamageListFailed", Level = LogLevel.Warning,
        Message = "A repair could not read file server {Server}'s damaged-block list ({Reason}); the next pass asks again")]
    public static partial void DamageListFailed(ILogger logger, string server, string reason);
}
