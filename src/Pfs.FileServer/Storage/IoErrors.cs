namespace Pfs.FileServer.Storage;

/// <summary>
/// Turns the I/O failures of storage code into <see cref="BlockStoreException"/>s: the ones a client
/// should hear about specifically (no space, a file too large) get their own error, the rest a short
/// message, with the details in the server log.
/// </summary>
internal static partial class IoErrors
{
    // On Unix .NET puts the raw errno into HResult; on Windows it is HRESULT_FROM_WIN32(code).
    private const int Enospc = 28;
    private const int Emfile = 24;
    private const int Enfile = 23;
    private const int Efbig = 27;
    private const int EdquotLinux = 122;
    private const int EdquotMac = 69;
    private const int ErrorHandleDiskFull = 39;
    private const int ErrorDiskFull = 112;
    private const int ErrorFileTooLarge = 223;
    private const int ErrorTooManyOpenFiles = 4;

    /// <summary>True for the failures storage code converts: everything the file system reports.</summary>
    public static bool IsIo(Exception exception) => exception is IOException or UnauthorizedAccessException;

    /// <summary>The failure of <paramref name="operation"/> on <paramref name="key"/> as a client should see it; logged here.</summary>
    public static BlockStoreException Failure(ILogger logger, string operation, ObjectKey key, Exception exception)
    {
        if (exception is IOException io && IsNoSpace(io))
        {
            Log.NoSpace(logger, operation, key.Name, key.Generation);
            return new BlockStoreException(BlockStoreError.NoSpace, $"{operation} failed: no space left on the file server", exception);
        }

        if (exception is IOException handles && IsOutOfHandles(handles))
        {
            Log.OutOfHandles(logger, operation, key.Name, key.Generation);
            return new BlockStoreException(BlockStoreError.OutOfHandles, $"{operation} failed: the file server has no file handles left; retry later", exception);
        }

        if (exception is IOException big && IsFileTooLarge(big))
        {
            return new BlockStoreException(BlockStoreError.OutOfRange, $"{operation} failed: the object would exceed the file system's size limit", exception);
        }

        // The client gets a short message; the path and stack trace stay in the server log.
        Log.IoFailed(logger, operation, key.Name, key.Generation, exception);
        return new BlockStoreException(BlockStoreError.Io, $"{operation} failed: I/O error on the file server", exception);
    }

    /// <summary>The failure of an open that found no descriptor it may take, as the file system reports EMFILE.</summary>
    public static IOException OutOfHandles() =>
        new("no file descriptor to spare: the rest of the process's limit is kept for the .NET runtime", OperatingSystem.IsWindows() ? ErrorTooManyOpenFiles : Emfile);

    public static bool IsNoSpace(IOException exception)
    {
        var code = exception.HResult;
        if (OperatingSystem.IsWindows())
        {
            return (code & 0xFFFF) is ErrorHandleDiskFull or ErrorDiskFull;
        }

        return code == Enospc || code == (OperatingSystem.IsLinux() ? EdquotLinux : EdquotMac);
    }

    /// <summary>EMFILE (the process's limit) or ENFILE (the system's).</summary>
    public static bool IsOutOfHandles(IOException exception)
    {
        var code = exception.HResult;
        return OperatingSystem.IsWindows() ? (code & 0xFFFF) == ErrorTooManyOpenFiles : code is Emfile or Enfile;
    }

    public static bool IsFileTooLarge(IOException exception)
    {
        var code = exception.HResult;
        return OperatingSystem.IsWindows() ? (code & 0xFFFF) == ErrorFileTooLarge : code == Efbig;
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = 2, EventName = "StorageNoSpace", Level = LogLevel.Warning, Message = "No space left during {Operation} of object {Name}/{Generation}")]
        public static partial void NoSpace(ILogger logger, string operation, string name, ulong generation);

        [LoggerMessage(EventId = 4, EventName = "StorageOutOfHandles", Level = LogLevel.Warning, Message = "No file handles left during {Operation} of object {Name}/{Generation}")]
        public static partial void OutOfHandles(ILogger logger, string operation, string name, ulong generation);

        [LoggerMessage(EventId = 3, EventName = "StorageIoFailed", Level = LogLevel.Error, Message = "I/O error during {Operation} of object {Name}/{Generation}")]
        public static partial void IoFailed(ILogger logger, string operation, string name, ulong generation, Exception exception);
    }
}
