namespace Pfs.MetaServer.Sessions;

/// <summary>What a Release found for its (client id, open id).</summary>
internal enum ReleaseOutcome
{
    /// <summary>Nothing: the Open has not arrived (it will be refused) or is long over.</summary>
    Unknown,

    /// <summary>A pending open: the caller cancels its wait.</summary>
    CancelWait,

    /// <summary>A held handle: the caller releases its lock, without a writer's side effects.</summary>
    ReleaseLock,

    /// <summary>Being closed or deleted right now; that finishes on its own.</summary>
    Busy,

    /// <summary>Its handle was already taken away by lease expiry.</summary>
    Expired,
}
