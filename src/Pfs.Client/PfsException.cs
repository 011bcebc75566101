namespace Pfs.Client;

/// <summary>The one exception type the Pfs client throws for failed file-system operations.</summary>
public sealed class PfsException : IOException
{
    /// <summary>Creates an exception with a code and a message.</summary>
    public PfsException(PfsErrorCode code, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Code = code;
    }

    /// <summary>Why the call failed.</summary>
    public PfsErrorCode Code { get; }
}
