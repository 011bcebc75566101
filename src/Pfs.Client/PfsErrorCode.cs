namespace Pfs.Client;

/// <summary>Why a Pfs call failed.</summary>
public enum PfsErrorCode
{
    /// <summary>The file does not exist (or was deleted while the caller waited).</summary>
    NotFound,

    /// <summary>A file with that name exists already.</summary>
    AlreadyExists,

    /// <summary>A bad name, offset, stripe width or other argument.</summary>
    InvalidArgument,

    /// <summary>A write on a file opened for reading.</summary>
    WrongMode,

    /// <summary>The file (or client) is closed, or its lock was lost.</summary>
    Closed,

    /// <summary>A server could not be reached in time; the call may be retried.</summary>
    Unavailable,

    /// <summary>Something unexpected went wrong on a server or in the client.</summary>
    Internal,
}
