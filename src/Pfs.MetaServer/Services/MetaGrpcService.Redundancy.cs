using Grpc.Core;
using Pfs.MetaServer.Errors;
using Pfs.Protocol.Meta;

namespace Pfs.MetaServer.Services;

/// <summary>
/// Redundancy: the degraded files a repair works through, and reports of damaged or lost shards. The
/// metadata server only keeps the books; the repair worker moves the bytes.
/// </summary>
internal sealed partial class MetaGrpcService
{
    private const int DegradedPageSize = 1000;

    public override Task<ListDegradedReply> ListDegraded(ListDegradedRequest request, ServerCallContext context)
    {
        var limit = request.Limit is > 0 and <= DegradedPageSize ? request.Limit : DegradedPageSize;
        var (page, more, _) = _names.Degraded(request.After, limit);
        var reply = new ListDegradedReply { More = more };
        reply.Files.AddRange(page.Select(view => view.ToFileInfo()));
        return Task.FromResult(reply);
    }

    public override async Task<ReportDamageReply> ReportDamage(ReportDamageRequest request, ServerCallContext context)
    {
        var view = _names.FindFile(request.FileId) ?? throw MetaException.NotFound($"file {request.FileId}");
        if (view.Node is not Registry.FileNode { ParityBlocks: > 0 })
        {
            LogDamageWithoutParity(_logger, view.Path, request.FileId, request.Position, request.Reason);
            return new ReportDamageReply();
        }

        var (_, marked) = await _names.MarkStaleAsync(request.FileId, request.Position, context.CancellationToken).ConfigureAwait(false);
        LogDamageReported(_logger, view.Path, request.FileId, request.Position, request.Reason, marked);
        return new ReportDamageReply { Marked = marked };
    }

    [LoggerMessage(EventId = 100, EventName = "DamageReported", Level = LogLevel.Warning, Message = "Position {Position} of '{Name}' (id {FileId}) is damaged or lost ({Reason}); stale until repaired (newly: {Marked})")]
    private static partial void LogDamageReported(ILogger logger, string name, ulong fileId, int position, string reason, bool marked);

    [LoggerMessage(EventId = 101, EventName = "DamageWithoutParity", Level = LogLevel.Error, Message = "Position {Position} of '{Name}' (id {FileId}) is damaged or lost ({Reason}), and the file has no parity to rebuild it from")]
    private static partial void LogDamageWithoutParity(ILogger logger, string name, ulong fileId, int position, string reason);
}
