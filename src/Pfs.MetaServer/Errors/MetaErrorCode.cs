namespace Pfs.MetaServer.Errors;

/// <summary>
/// Why the metadata server refused or failed a request, in its own terms; <see cref="MetaErrorInterceptor"/>
/// turns each into the gRPC status callers get. The namespace errors gRPC has no code for (not a
/// directory, is a directory, directory not empty) travel as FAILED_PRECONDITION with the trailer
/// <c>pfs-error</c> naming them.
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

    /// <summary>A path component that must be a directory is not one (trailer <c>not-a-directory</c>).</summary>
    NotADirectory,

    /// <summary>A directory where a file is needed (trailer <c>is-a-directory</c>).</summary>
    IsADirectory,

    /// <summary>Removing, or renaming onto, a directory that has entries (trailer <c>directory-not-empty</c>).</summary>
    DirectoryNotEmpty,
}
