namespace Pfs.MetaServer.Sessions;

/// <summary>Where an open (or a delete, which waits like a writer open) is in its life.</summary>
internal enum OpenState
{
    /// <summary>Waiting for its lock; a Release cancels the wait.</summary>
    Pending,

    /// <summary>Granted, with a handle; a Close or Release ends it.</summary>
    Held,

    /// <summary>A Close is persisting the writer's changes; on failure it goes back to Held.</summary>
    Closing,

    /// <summary>A delete that got its lock and is removing the file; too late to release.</summary>
    Deleting,

    /// <summary>Released, closed or expired: whoever still holds the entry must let go of its lock.</summary>
    Gone,
}
