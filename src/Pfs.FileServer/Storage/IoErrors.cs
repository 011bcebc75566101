namespace Pfs.FileServer.Storage;

/// <summary>Recognises the I/O failures a client should hear about specifically.</summary>
internal static class IoErrors
{
    // On Unix .NET puts the raw errno into HResult; on Windows it is HRESULT_FROM_WIN32(code).
    private const int Enospc = 28;
    private const int Efbig = 27;
    private const int EdquotLinux = 122;
    private const int EdquotMac = 69;
    private const int ErrorHandleDiskFull = 39;
    private const int ErrorDiskFull = 112;
    private const int ErrorFileTooLarge = 223;

    public static bool IsNoSpace(IOException exception)
    {
        var code = exception.HResult;
        if (OperatingSystem.IsWindows())
        {
            return (code & 0xFFFF) is ErrorHandleDiskFull or ErrorDiskFull;
        }

        return code == Enospc || code == (OperatingSystem.IsLinux() ? EdquotLinux : EdquotMac);
    }

    public static bool IsFileTooLarge(IOException exception)
    {
        var code = exception.HResult;
        return OperatingSystem.IsWindows() ? (code & 0xFFFF) == ErrorFileTooLarge : code == Efbig;
    }
}
