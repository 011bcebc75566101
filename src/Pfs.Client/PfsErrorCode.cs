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

    /// <summary>A path component that must be a directory is a file.</summary>
    NotADirectory,

    /// <summary>A directory where a file is needed (opening or deleting it as a file, renaming a file onto it).</summary>
    IsADirectory,

    /// <summary>Deleting, or renaming onto, a directory that is not empty.</summary>
    DirectoryNotEmpty,

    /// <summary>A file server is out of space; what the call wrote may not have landed.</summary>
    NoSpace,

    /// <summary>The caller may not do this (a server refused its capability or identity).</summary>
    PermissionDenied,

    /// <summary>
    /// Bytes that were acknowledged can no longer be read correctly (damaged or lost beyond what
    /// the file's redundancy covers); the message names the file and the offset.
    /// </summary>
    DataLoss,
}
