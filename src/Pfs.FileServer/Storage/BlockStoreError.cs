namespace Pfs.FileServer.Storage;

/// <summary>Why the block store refused or failed a request; the gRPC layer turns each into a status code.</summary>
public enum BlockStoreError
{
    /// <summary>The request is malformed: a bad name, generation 0, a negative offset or length, too much asked at once.</summary>
    InvalidArgument,

    /// <summary>The request reaches past the largest object the store keeps.</summary>
    OutOfRange,

    /// <summary>The disk (or the quota) is full.</summary>
    NoSpace,

    /// <summary>Any other I/O failure; details stay in the server log.</summary>
    Io,

    /// <summary>A writer epoch that a newer writer has superseded, or whose writes were already committed or dropped.</summary>
    StaleEpoch,

    /// <summary>The generation was deleted here; it is never used again, so nothing may touch it.</summary>
    Deleted,

    /// <summary>The server holds as many stages as it may: a new writer should retry later.</summary>
    Busy,

    /// <summary>The server has no file handles left (its own limit or the system's).</summary>
    OutOfHandles,

    /// <summary>Bytes do not match their checksum: damaged on the way here (a write), nothing was kept.</summary>
    DataLoss,
}
