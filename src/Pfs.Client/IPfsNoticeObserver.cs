using Pfs.Protocol.Meta;

namespace Pfs.Client;

/// <summary>
/// Sees every notice of the client's stream after the block cache has applied it and before an open
/// that waits for it is let go, so a mount can drop the kernel's cached names, attributes and pages
/// in step with the block cache. Internal: the FUSE mount is the one user (InternalsVisibleTo).
/// </summary>
internal interface IPfsNoticeObserver
{
    /// <summary>Asks the metadata server for EntryChanged and NodeChanged notices as well.</summary>
    bool WantsNamespaceNotices { get; }

    /// <summary>A notice, on the stream's thread; must not call back into the client and wait.</summary>
    void OnNotice(Notice notice);

    /// <summary>The stream broke: notices may be lost until the next Hello.</summary>
    void OnSessionLost();
}
