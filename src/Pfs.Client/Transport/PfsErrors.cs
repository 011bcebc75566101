using Grpc.Core;
using Pfs.Protocol.Transport;

namespace Pfs.Client.Transport;

/// <summary>Turns gRPC failures into the one exception type users see.</summary>
internal static class PfsErrors
{
    /// <summary>The trailer of a FAILED_PRECONDITION that names a namespace error (see protos/metadata.proto).</summary>
    public const string ErrorTrailer = "pfs-error";

    public static PfsException FromRpc(RpcException ex, string what)
    {
        var code = ex.StatusCode switch
        {
            StatusCode.NotFound => PfsErrorCode.NotFound,
            StatusCode.AlreadyExists => PfsErrorCode.AlreadyExists,
            StatusCode.InvalidArgument or StatusCode.OutOfRange => PfsErrorCode.InvalidArgument,
            StatusCode.Unavailable or StatusCode.DeadlineExceeded => PfsErrorCode.Unavailable,
            // The namespace errors gRPC has no code for travel with a trailer naming them.
            StatusCode.FailedPrecondition => ex.Trailers.GetValue(ErrorTrailer) switch
            {
                "not-a-directory" => PfsErrorCode.NotADirectory,
                "is-a-directory" => PfsErrorCode.IsADirectory,
                "directory-not-empty" => PfsErrorCode.DirectoryNotEmpty,
                _ => PfsErrorCode.Closed,
            },
            // Servers send it only for a full disk (a busy one, out of file handles or of its write budget,
            // says Unavailable and is retried). gRPC's own use, a message over the size limit, is kept out by
            // PfsLimits.MaxMessageBytes, which both sides' requests and replies obey.
            StatusCode.ResourceExhausted => PfsErrorCode.NoSpace,
            StatusCode.PermissionDenied => PfsErrorCode.PermissionDenied,
            // The connection failed under the call (a keep-alive ping unanswered, the stream reset):
            // the server could not be reached, whatever it would have answered.
            StatusCode.Internal when IsTransportFailure(ex) => PfsErrorCode.Unavailable,
            // A file server refused bytes that failed their checksum on the way (a write).
            StatusCode.DataLoss => PfsErrorCode.DataLoss,
            _ => PfsErrorCode.Internal,
        };
        var detail = TlsMismatch.Describe(ex) ?? ex.StatusCode switch
        {
            // A call that waited for a server that refuses connections (down) ends here too: say what it means.
            StatusCode.DeadlineExceeded => "no answer within the operation timeout (the server is down or out of reach)",
            // gRPC's words for a connection that could not be made ("Error connecting to subchannel.").
            StatusCode.Unavailable when ex.Status.Detail.Contains("subchannel", StringComparison.OrdinalIgnoreCase)
                => "cannot be reached (the server is down or refuses connections)",
            _ => string.IsNullOrEmpty(ex.Status.Detail) ? ex.StatusCode.ToString() : ex.Status.Detail,
        };
        return new PfsException(code, $"{what}: {detail}", ex);
    }

    private static bool IsTransportFailure(RpcException ex)
    {
        for (var cause = ex.Status.DebugException; cause is not null; cause = cause.InnerException)
        {
            if (cause is HttpRequestException or HttpProtocolException or IOException)
            {
                return true;
            }
        }

        return false;
    }

    public static PfsException InvalidArgument(string message) => new(PfsErrorCode.InvalidArgument, message);
}
