namespace Pfs.Client.Transport;

/// <summary>
/// Which shard a file server could not return intact: its stored bytes fail their checksum (the
/// server withheld them), or they failed it on the way here. The transport throws a
/// <see cref="PfsException"/> with <see cref="PfsErrorCode.DataLoss"/> naming the file and the byte
/// offset, with this as its inner exception: a caller that cannot rebuild the block passes the
/// PfsException on as it is; a caller with parity looks for this (<see cref="Of"/>) and treats
/// <see cref="Server"/>'s shard as an erasure instead.
/// </summary>
internal sealed class ShardDamagedException(int server, long localBlock, long fileBlock, bool inTransit)
    : Exception($"shard of block {fileBlock} on server position {server} (local block {localBlock}) is damaged{(inTransit ? " in transit" : "")}")
{
    /// <summary>The position of the server in the file's layout.</summary>
    public int Server { get; } = server;

    /// <summary>The block's index in that server's stripe object (its object offset over the block size).</summary>
    public long LocalBlock { get; } = localBlock;

    /// <summary>The file's block (data block index) the shard holds.</summary>
    public long FileBlock { get; } = fileBlock;

    /// <summary>True if the server's bytes were good and were damaged on the way (reading again may succeed).</summary>
    public bool InTransit { get; } = inTransit;

    /// <summary>The damaged shard behind <paramref name="exception"/>, if that is what it reports.</summary>
    public static ShardDamagedException? Of(Exception exception) =>
        exception is PfsException { Code: PfsErrorCode.DataLoss, InnerException: ShardDamagedException shard } ? shard : null;
}
