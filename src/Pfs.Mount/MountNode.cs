using Pfs.Client;

namespace Pfs.Mount;

/// <summary>
/// What the mount remembers of an inode the kernel holds: its kind and block size (to turn a
/// notice's block ranges into byte ranges), the kernel's lookup count, and the one Pfs open that
/// every descriptor of the file shares.
/// </summary>
internal sealed class MountNode(ulong inode)
{
    public ulong Inode { get; } = inode;

    public PfsEntryKind Kind { get; set; }

    public int BlockSize { get; set; }

    /// <summary>The kernel's lookup count; guarded by the file system's node lock.</summary>
    public long Lookups { get; set; }

    /// <summary>The shared Pfs open while descriptors are open; guarded by the node lock.</summary>
    public SharedOpen? Open { get; set; }

    /// <summary>
    /// The shared open its last descriptor left, while it is being closed (RELEASE comes after close(2) has
    /// returned); guarded by the node lock. Attribute reads wait for its <see cref="SharedOpen.Settling"/>.
    /// </summary>
    public SharedOpen? Closing { get; set; }

    /// <summary>
    /// The notice epoch in which the kernel's cached pages of the file were last known to match
    /// Pfs (see <see cref="NoticeBridge.Epoch"/>); 0 when never.
    /// </summary>
    public long TrustedEpoch { get; set; }
}
