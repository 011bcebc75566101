using Pfs.MetaServer.Registry;
using Pfs.Protocol.Meta;

namespace Pfs.MetaServer.Sessions;

/// <summary>
/// The notices a namespace change sends: EntryChanged and NodeChanged only to subscribers that asked for
/// them, FileDeleted (drop every cached block) to all; never to the client that made the change. Each is
/// queued before the call that caused it answers, in order with the other notices of each stream. A
/// subscriber with a scope gets only the notices about names in it (or on the way down to it).
/// </summary>
internal sealed class NamespaceNotices(SessionManager sessions, IServiceProvider services)
{
    // The namespace sends these notices, so it is looked up when the first is sent, not when it is built.
    private Namespace? _names;

    private Namespace Names => _names ??= services.GetRequiredService<Namespace>();

    public void EntryChanged(ulong parent, string name, ulong oldInode, string? actor)
    {
        var change = new EntryChanged { Parent = parent, Name = name, Inode = oldInode };
        sessions.Broadcast(() => new Notice { EntryChanged = change }, actor, namespaceOnly: true,
            paths: () => Names.PathsOf(parent) is [var directory] ? [directory.Length == 0 ? name : directory + "/" + name] : null);
    }

    public void NodeChanged(ulong inode, string? actor)
    {
        var change = new NodeChanged { Inode = inode };
        sessions.Broadcast(() => new Notice { NodeChanged = change }, actor, namespaceOnly: true, paths: () => Names.PathsOf(inode));
    }

    /// <summary>Positions of a file became stale: every client with the file open stops reading them.</summary>
    public void PositionsStale(ulong fileId, int position)
    {
        var stale = new PositionsStale { FileId = fileId, Positions = { position } };
        sessions.Broadcast(() => new Notice { Stale = stale }, exceptClientId: null, paths: () => Names.PathsOf(fileId));
    }

    /// <summary>
    /// A file is gone for good: every client drops its cached blocks. A file no writer ever had has no
    /// blocks anywhere, so only the subscribers that follow the namespace (mounts, which drop the inode)
    /// are told: a million unlinks of empty files then cost no notice to every plain client.
    /// Returns how many were told. <paramref name="name"/> is the file's last full path ("" for an orphan).
    /// </summary>
    public int FileDeleted(string name, ulong fileId, string? actor, bool neverWritten = false)
    {
        var deleted = new FileDeleted { Name = name, FileId = fileId };
        return sessions.Broadcast(() => new Notice { Deleted = deleted }, actor, namespaceOnly: neverWritten,
            paths: () => name.Length == 0 ? null : [name]);
    }
}
