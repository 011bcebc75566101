namespace Pfs.MetaServer.Errors;

/// <summary>A request the metadata server refused or could not carry out. The message is safe to show a client.</summary>
public sealed class MetaException : Exception
{
    public MetaException(MetaErrorCode code, string message, Exception? innerException = null)
        : base(message, innerException)
    {
        Code = code;
    }

    public MetaErrorCode Code { get; }

    public static MetaException NotFound(string name) => new(MetaErrorCode.NotFound, $"file '{name}' not found");

    public static MetaException AlreadyExists(string name) => new(MetaErrorCode.AlreadyExists, $"file '{name}' already exists");

    public static MetaException Cancelled(string why) => new(MetaErrorCode.Cancelled, why);

    public static MetaException InvalidArgument(string why) => new(MetaErrorCode.InvalidArgument, why);

    public static MetaException Unavailable(string why, Exception? innerException = null) => new(MetaErrorCode.Unavailable, why, innerException);
}
