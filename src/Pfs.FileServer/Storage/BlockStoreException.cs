namespace Pfs.FileServer.Storage;

/// <summary>A request the block store refused or could not carry out. The message is safe to show a client.</summary>
public sealed class BlockStoreException : Exception
{
    public BlockStoreException(BlockStoreError error, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Error = error;
    }

    public BlockStoreError Error { get; }
}
