using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using Grpc.Core;
using Pfs.Protocol;

namespace Pfs.FileServer.Services;

/// <summary>
/// Admits WriteBytes calls before their payload is received: the call's capability travels in its
/// request header (<see cref="CapabilityHeader"/>) and must be a valid write capability, and the
/// message's length (read from the 5-byte gRPC frame prefix, without consuming it) is reserved in the
/// server's <see cref="WriteBudget"/> until the call ends. A refused call is answered with a gRPC
/// status at once (a trailers-only response), without reading its body, so a caller that may not
/// write costs no more than the bytes HTTP/2 flow control lets it send unasked.
/// </summary>
internal sealed class WriteAdmissionMiddleware(RequestDelegate next, CapabilitySigner signer, WriteBudget budget, FileServerLimits limits)
{
    /// <summary>The path of WriteBytes calls.</summary>
    public const string WriteBytesPath = "/pfs.fileserver.v1.FileService/WriteBytes";

    // Compressed flag, then the message length (big-endian).
    private const int FramePrefixBytes = 5;

    /// <summary>Where the capability admitted from the header waits for the service's check against the message's.</summary>
    public static readonly object CapabilityItem = new();

    public async Task InvokeAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!string.Equals(context.Request.Path.Value, WriteBytesPath, StringComparison.Ordinal))
        {
            await next(context).ConfigureAwait(false);
            return;
        }

        var capability = CapabilityHeader.Parse(context.Request.Headers[CapabilityHeader.Name]);
        if (capability is null || !signer.Verify(capability))
        {
            Refuse(context, StatusCode.PermissionDenied, $"WriteBytes needs a valid capability in its {CapabilityHeader.Name} header");
            return;
        }

        if (capability.Commit || !capability.Write)
        {
            var what = capability.Commit ? "a commit capability" : "a read capability";
            Refuse(context, StatusCode.PermissionDenied, $"{what} does not allow writes");
            return;
        }

        long length;
        try
        {
            length = await PeekMessageLengthAsync(context).ConfigureAwait(false);
        }
        catch (Exception) when (context.RequestAborted.IsCancellationRequested)
        {
            return;
        }

        if (length > PfsLimits.MaxMessageBytes)
        {
            Refuse(context, StatusCode.ResourceExhausted, $"a message of {length} bytes is over the {PfsLimits.MaxMessageBytes}-byte limit");
            return;
        }

        var reserved = budget.Fit(length + FramePrefixBytes);
        bool admitted;
        try
        {
            admitted = await budget.TryReserveAsync(reserved, limits.WriteBudgetWait, context.RequestAborted).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The caller went away while waiting; there is nobody to answer.
            return;
        }

        if (!admitted)
        {
            // Unavailable, not ResourceExhausted: the budget frees up as calls finish, so callers retry with
            // backoff; a client told ResourceExhausted takes it for a full disk and gives the writes up.
            Refuse(context, StatusCode.Unavailable, "the file server has too many bytes of writes in flight; retry later");
            return;
        }

        try
        {
            context.Items[CapabilityItem] = capability;
            await next(context).ConfigureAwait(false);
        }
        finally
        {
            budget.Release(reserved);
        }
    }

    // The length the first frame's prefix declares, leaving every byte of the body for the gRPC
    // service to read; 0 if the body ends before a whole prefix (gRPC then answers the call itself).
    private static async ValueTask<long> PeekMessageLengthAsync(HttpContext context)
    {
        var reader = context.Request.BodyReader;
        var read = await reader.ReadAtLeastAsync(FramePrefixBytes, context.RequestAborted).ConfigureAwait(false);
        var buffer = read.Buffer;
        long length = 0;
        if (buffer.Length >= FramePrefixBytes)
        {
            Span<byte> prefix = stackalloc byte[FramePrefixBytes];
            buffer.Slice(0, FramePrefixBytes).CopyTo(prefix);
            length = BinaryPrimitives.ReadUInt32BigEndian(prefix[1..]);
        }

        // Nothing consumed, nothing examined: the next read returns these bytes again at once.
        reader.AdvanceTo(buffer.Start);
        return length;
    }

    // A gRPC error as a trailers-only response: the status rides in the headers of an empty reply.
    // The messages are plain ASCII without '%', so they need no percent-encoding.
    private static void Refuse(HttpContext context, StatusCode code, string message)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/grpc";
        response.Headers["grpc-status"] = ((int)code).ToString(CultureInfo.InvariantCulture);
        response.Headers["grpc-message"] = message;
    }
}
