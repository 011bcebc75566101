namespace Pfs.MetaServer;

/// <summary>
/// TEST ONLY. With <see cref="MetaServerOptions.TestCrashPoint"/> set (<c>MetaServer:TestCrashPoint</c>,
/// read once at start), the server kills itself with SIGKILL the first time it reaches that point, so
/// crash tests can stop a real process exactly between a store write and what follows it. Unset (always,
/// outside tests), <see cref="Reached"/> does nothing. The points:
/// <list type="bullet">
/// <item><c>create-stored</c>, <c>unlink-stored</c>, <c>rmdir-stored</c>, <c>rename-stored</c>: after the
/// store write of that mutation, before memory changes and before the reply;</item>
/// <item><c>orphan-freed</c>: after the free of a file unlinked while open was stored, before the reclaimer
/// deleted its stripe objects;</item>
/// <item><c>migration-halfway</c>: after half the files of a version-1 store were migrated.</item>
/// </list>
/// </summary>
internal sealed partial class CrashPoints(MetaServerOptions options, ILogger<CrashPoints> logger)
{
    public const string CreateStored = "create-stored";
    public const string UnlinkStored = "unlink-stored";
    public const string RemoveDirectoryStored = "rmdir-stored";
    public const string RenameStored = "rename-stored";
    public const string OrphanFreed = "orphan-freed";

    private readonly string? _point = string.IsNullOrWhiteSpace(options.TestCrashPoint) ? null : options.TestCrashPoint.Trim();

    /// <summary>Kills this process (SIGKILL, nothing flushed) if <paramref name="point"/> is the configured crash point.</summary>
    public void Reached(string point)
    {
        if (_point is null || !string.Equals(_point, point, StringComparison.Ordinal))
        {
            return;
        }

        LogCrashing(logger, point);
        Pfs.ServiceDefaults.TestCrash.KillSelf(point);
    }

    [LoggerMessage(EventId = 90, EventName = "TestCrashPoint", Level = LogLevel.Critical, Message = "Test crash point '{Point}' reached: killing this process")]
    private static partial void LogCrashing(ILogger logger, string point);
}
