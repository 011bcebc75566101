using Microsoft.Extensions.Logging;

namespace Pfs.Fuse;

internal static partial class Log
{
    [LoggerMessage(EventId = 1, EventName = "FuseMounted", Level = LogLevel.Information, Message = "Mounted {MountPoint} ({Method})")]
    public static partial void Mounted(ILogger logger, string mountPoint, FuseMountMethod method);

    [LoggerMessage(EventId = 2, EventName = "FuseNegotiated", Level = LogLevel.Debug, Message = "INIT: protocol 7.{Minor} (kernel 7.{KernelMinor}), flags {Flags:x}, max_write {MaxWrite}, max_readahead {MaxReadahead}")]
    public static partial void Negotiated(ILogger logger, uint minor, uint kernelMinor, ulong flags, uint maxWrite, uint maxReadahead);

    [LoggerMessage(EventId = 3, EventName = "FuseHandlerFailed", Level = LogLevel.Error, Message = "{Operation} on node {NodeId} failed; answered EIO")]
    public static partial void HandlerFailed(ILogger logger, string operation, ulong nodeId, Exception exception);

    [LoggerMessage(EventId = 4, EventName = "FuseReplyFailed", Level = LogLevel.Warning, Message = "Writing the answer to {Operation} (request {Unique}) failed with errno {Errno}")]
    public static partial void ReplyFailed(ILogger logger, string operation, ulong unique, int errno);

    [LoggerMessage(EventId = 5, EventName = "FuseBadRequest", Level = LogLevel.Warning, Message = "Dropped a malformed request: read {Read} bytes, header says {Length}")]
    public static partial void BadRequest(ILogger logger, int read, uint length);

    [LoggerMessage(EventId = 6, EventName = "FuseReaderFailed", Level = LogLevel.Error, Message = "Reading /dev/fuse failed with errno {Errno}; the session ends")]
    public static partial void ReaderFailed(ILogger logger, int errno);

    [LoggerMessage(EventId = 7, EventName = "FuseReaderCrashed", Level = LogLevel.Error, Message = "A FUSE reader thread failed; the session ends")]
    public static partial void ReaderCrashed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 8, EventName = "FuseSessionEnded", Level = LogLevel.Information, Message = "The FUSE session ended")]
    public static partial void SessionEnded(ILogger logger);

    [LoggerMessage(EventId = 9, EventName = "FuseUnmountSlow", Level = LogLevel.Warning, Message = "{MountPoint} was unmounted but the kernel kept the session open for {Timeout} (files still open?); aborting the connection")]
    public static partial void UnmountSlow(ILogger logger, string mountPoint, TimeSpan timeout);

    [LoggerMessage(EventId = 10, EventName = "FuseUnmountFailed", Level = LogLevel.Warning, Message = "Unmounting {MountPoint} failed: {Reason}")]
    public static partial void UnmountFailed(ILogger logger, string mountPoint, string reason);
}
