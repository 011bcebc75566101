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

    public static MetaException NotFound(string name) => new(MetaErrorCode.NotFound, $"'{name}' not found");

    public static MetaException AlreadyExists(string name) => new(MetaErrorCode.AlreadyExists, $"'{name}' already exists");

    public static MetaException NotADirectory(string name) => new(MetaErrorCode.NotADirectory, $"'{name}' is not a directory");

    public static MetaException IsADirectory(string name) => new(MetaErrorCode.IsADirectory, $"'{name}' is a directory");

    public static MetaException DirectoryNotEmpty(string name) => new(MetaErrorCode.DirectoryNotEmpty, $"directory '{name}' is not empty");

    public static MetaException Cancelled(string why) => new(MetaErrorCode.Cancelled, why);

    public static MetaException InvalidArgument(string why) => new(MetaErrorCode.InvalidArgument, why);

    public static MetaException Unavailable(string why, Exception? innerException = null) => new(MetaErrorCode.Unavailable, why, innerException);

    /// <summary>
    /// The metadata store failed <paramref name="failure"/>: Unavailable, said in a few words a client can show as one
    /// line (StackExchange.Redis's own messages run to 1,500 characters of pool and socket state; the server's log
    /// keeps them whole).
    /// </summary>
    public static MetaException StoreUnavailable(Exception failure) => Unavailable(failure switch
    {
        StackExchange.Redis.RedisTimeoutException => "the metadata store (Redis) did not answer in time; try again",
        StackExchange.Redis.RedisConnectionException => "the metadata store (Redis) cannot be reached; try again",
        _ when failure.Message.Length <= 160 && !failure.Message.Contains('\n') => $"the metadata store is unavailable: {failure.Message}",
        _ => $"the metadata store is unavailable ({failure.GetType().Name}; the metadata server's log has the details); try again",
    }, failure);
}
