namespace Pfs.MetaServer.Errors;

/// <summary>
/// Why the metadata server refused or failed a request, in its own terms; <see cref="MetaErrorInterceptor"/>
/// turns each into the gRPC status callers get. Namespace errors (not a directory, is a directory,
/// directory not empty) join this list as the namespace arrives.
/// </summary>
public enum MetaErrorCode
{
    /// <summary>The request is malformed: a bad name, client id, stripe width, block size, range or position.</summary>
    InvalidArgument,

    /// <summary>No such file, or no such handle.</summary>
    NotFound,

    /// <summary>A file of that name exists.</summary>
    AlreadyExists,

    /// <summary>The handle belongs to another client.</summary>
    NotOwner,

    /// <summary>The handle (or open) was taken away when its client's lease ran out.</summary>
    LeaseExpired,

    /// <summary>The handle is already being closed.</summary>
    Closing,

    /// <summary>The call was cancelled, or its open released, before it got what it waited for.</summary>
    Cancelled,

    /// <summary>The server cannot do it now but may later: the store is down, the registry still loading, commits piling up.</summary>
    Unavailable,

    /// <summary>Something that must not happen did; details stay in the server log.</summary>
    Internal,
}
