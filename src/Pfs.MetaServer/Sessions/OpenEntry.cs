using Pfs.MetaServer.Locking;

namespace Pfs.MetaServer.Sessions;

/// <summary>One (client id, open id): an Open or a Delete from its wait for the lock until its close.</summary>
internal sealed class OpenEntry : IDisposable
{
    public OpenEntry(string clientId, ulong openId, string name, ulong fileId, LockKind kind, CancellationToken callCancelled)
    {
        ClientId = clientId;
        OpenId = openId;
        Name = name;
        FileId = fileId;
        Kind = kind;
        // The wait ends when the call is cancelled or when a Release for this open arrives.
        WaitCancellation = CancellationTokenSource.CreateLinkedTokenSource(callCancelled);
    }

    public string ClientId { get; }

    public ulong OpenId { get; }

    public string Name { get; }

    public ulong FileId { get; }

    public LockKind Kind { get; }

    public CancellationTokenSource WaitCancellation { get; }

    /// <summary>Guarded by the <see cref="OpenTable"/>'s lock.</summary>
    public OpenState State { get; set; } = OpenState.Pending;

    /// <summary>The lock's epoch (in its capability), once held.</summary>
    public ulong Epoch { get; set; }

    /// <summary>Nonzero once held.</summary>
    public ulong Handle { get; set; }

    public LockLease? Lease { get; set; }

    public void Dispose() => WaitCancellation.Dispose();
}
