namespace Pfs.MetaServer.Sessions;

/// <summary>What became of a notice given to <see cref="Subscriber.TryEnqueue"/>.</summary>
internal enum EnqueueResult
{
    Queued,
    Dropped,
    Overflowed,
}
