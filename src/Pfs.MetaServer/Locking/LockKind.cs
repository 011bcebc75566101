namespace Pfs.MetaServer.Locking;

/// <summary>How a lock is held: shared by readers or exclusive to one writer.</summary>
internal enum LockKind
{
    Read,
    Write,
}
