using Microsoft.Extensions.Logging;

namespace Pfs.Mount;

internal static partial class Log
{
    [LoggerMessage(EventId = 1, EventName = "MountNotifyFailed", Level = LogLevel.Warning, Message = "A kernel invalidation failed with errno {Errno}")]
    public static partial void NotifyFailed(ILogger logger, int errno);

    [LoggerMessage(EventId = 2, EventName = "MountCloseFailed", Level = LogLevel.Warning, Message = "Closing the Pfs open of inode {Inode} failed")]
    public static partial void CloseFailed(ILogger logger, ulong inode, Exception exception);

    [LoggerMessage(EventId = 5, EventName = "MountCloseRetrying", Level = LogLevel.Warning,
        Message = "Closing the Pfs open of inode {Inode} failed; its writes are kept and the close is tried again until it succeeds")]
    public static partial void CloseRetrying(ILogger logger, ulong inode, Exception exception);

    [LoggerMessage(EventId = 6, EventName = "MountCloseRetried", Level = LogLevel.Warning,
        Message = "The Pfs open of inode {Inode} ('{Name}') closed at attempt {Attempt}: writes whose close(2) had failed are stored now")]
    public static partial void CloseRetried(ILogger logger, ulong inode, string name, int attempt);

    [LoggerMessage(EventId = 8, EventName = "MountCloseGivenUp", Level = LogLevel.Warning,
        Message = "Closing the Pfs open of inode {Inode} ('{Name}') cannot succeed: its writes are discarded and the file stays as it was")]
    public static partial void CloseGivenUp(ILogger logger, ulong inode, string name, Exception exception);

    [LoggerMessage(EventId = 7, EventName = "MountCloseAbandoned", Level = LogLevel.Warning,
        Message = "Inode {Inode} was deleted while its close was being retried: its writes are discarded and its space given back")]
    public static partial void CloseAbandoned(ILogger logger, ulong inode);

    [LoggerMessage(EventId = 3, EventName = "MountServing", Level = LogLevel.Information, Message = "Serving {MetaServer} at {MountPoint}{Mode}")]
    public static partial void Serving(ILogger logger, Uri metaServer, string mountPoint, string mode);

    [LoggerMessage(EventId = 4, EventName = "MountStopping", Level = LogLevel.Information, Message = "Unmounting {MountPoint}: {Reason}")]
    public static partial void Stopping(ILogger logger, string mountPoint, string reason);

    [LoggerMessage(EventId = 9, EventName = "MountUnlockRetrying", Level = LogLevel.Warning,
        Message = "Letting go of a lock on inode {Inode} failed; it is tried again in the background until the metadata server answers")]
    public static partial void UnlockRetrying(ILogger logger, ulong inode, Exception exception);

    [LoggerMessage(EventId = 10, EventName = "MountUnlockRetried", Level = LogLevel.Information, Message = "A lock on inode {Inode} was let go of at attempt {Attempt}")]
    public static partial void UnlockRetried(ILogger logger, ulong inode, int attempt);
}
