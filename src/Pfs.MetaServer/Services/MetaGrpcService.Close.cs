using Grpc.Core;
using Pfs.MetaServer.Errors;
using Pfs.MetaServer.Locking;
using Pfs.MetaServer.Registry;
using Pfs.Protocol;
using Pfs.Protocol.Meta;

namespace Pfs.MetaServer.Services;

internal sealed partial class MetaGrpcService
{
    public override async Task<CloseReply> Close(CloseRequest request, ServerCallContext context)
    {
        var clientId = RequireSession(request.ClientId, context);
        var entry = _opens.BeginClose(clientId, request.Handle);
        FileNode result;
        var recipients = 0;
        try
        {
            // The handle's lock keeps the file from being deleted, and its reference from being freed when
            // unlinked, so it is still there (perhaps under another name, or none).
            var current = _names.FindFile(entry.FileId)?.Node as FileNode
                ?? throw new MetaException(MetaErrorCode.Internal, $"file '{entry.Name}' vanished while handle {entry.Handle} held it");

            if (entry.Kind == LockKind.Read)
            {
                result = current;
            }
            else
            {
                if (request.Size < 0)
                {
                    throw MetaException.InvalidArgument($"size {request.Size} must not be negative");
                }

                // Each file server holds at most MaxObjectBytes of one file, so no writer can have written more.
                var capacity = FileCapacity(current);
                if (request.Size > capacity)
                {
                    throw MetaException.InvalidArgument(
                        $"size {request.Size} is more than a file of stripe width {current.StripeWidth} can hold ({capacity} bytes)");
                }

                var dirty = DirtyRanges.Normalize(request.Dirty);
                var blocks = capacity / current.BlockSize;
                if (dirty.Count > 0 && dirty[^1].Start + dirty[^1].Count > blocks)
                {
                    throw MetaException.InvalidArgument(
                        $"dirty blocks up to {dirty[^1].Start + dirty[^1].Count} are past the {blocks} blocks a file of stripe width {current.StripeWidth} can hold");
                }

                var written = Positions(request.WrittenServers, current, "written server");
                // Without parity nothing is missed (a write that cannot land fails), and a stale position is one whose
                // server lost its blocks: it is "repaired" only by a writer that emptied the file and wrote it anew.
                var stale = current.ParityBlocks > 0
                    ? new StaleChange(Positions(request.MissedPositions, current, "missed position"), Positions(request.RepairedPositions, current, "repaired position"))
                    : new StaleChange(null, Positions(request.RepairedPositions, current, "repaired position"));
                if (stale.Missed is { Count: > 0 } missed && missed.Union(current.StalePositions).Count() is var count && count > current.ParityBlocks)
                {
                    // The writer kept within M, but damage reported while it wrote adds to it: the close still
                    // stands (refusing it would strand the writer), and the file needs more than a repair.
                    LogBeyondParity(_logger, entry.Name, count, current.ParityBlocks);
                }

                var epoch = written.Count > 0 ? entry.Epoch : 0;
                var pending = epoch == 0 || current.PendingCommits.Contains(epoch) ? current.PendingCommits : [.. current.PendingCommits, epoch];
                if (pending.Count > MaxPendingCommits)
                {
                    throw MetaException.Unavailable(
                        $"'{entry.Name}' has {current.PendingCommits.Count} commits that file servers have not confirmed; bring its servers back before closing more writes");
                }

                // The commit point: once the node (with the epoch pending) is stored, what the writer
                // staged is the file's content, even if a file server is only told later. A writer that
                // changed nothing (touch's open for writing, a futimens and a close) leaves the node as
                // it is: POSIX moves mtime at writes, not at close, and an explicit utimens must stick.
                result = Wrote(request, current, dirty, written, stale)
                    ? await _names.CompleteWriteAsync(current.Id, request.Size, request.SizeExact, pending, stale).ConfigureAwait(false)
                    : current;
                if (stale.Repaired is { Count: > 0 } && current.ParityBlocks > 0)
                {
                    _names.Repairs.Record(current.StalePositions.Count(position => !result.StalePositions.Contains(position)));
                }

                _epochs.ClosedCleanly(current.Id);
                if (result.PendingCommits.Count > 0)
                {
                    var (applied, lost) = await _committer.CommitAsync(result, entry.Name, epoch, written).ConfigureAwait(false);
                    result = _names.ForgetApplied(result, applied);
                    foreach (var position in lost.Order())
                    {
                        // A server dropped what a committed writer staged there: the position is lost like a
                        // wiped server's (read around with parity, a DataLoss error without), never read as a hole.
                        (result, _) = await _names.MarkStaleAsync(result.Id, position).ConfigureAwait(false);
                    }
                }

                if (dirty.Count > 0)
                {
                    recipients = PublishInvalidate(result, entry.Name, dirty, clientId);
                }
            }
        }
        catch
        {
            // Keep the handle and its lock: the client may retry the close (e.g. once the store is back).
            _opens.AbortClose(entry);
            throw;
        }

        // Only now, after the invalidation is queued, may the next opener get the lock.
        _opens.FinishClose(entry);
        entry.Lease?.Release();
        LogClosed(_logger, clientId, entry.Name, entry.Kind, result.Version, result.Size, recipients);
        return new CloseReply { File = result.ToFileInfo(entry.Name) };
    }

    // Bounds what every capability of the file carries while servers stay unreachable.
    private const int MaxPendingCommits = 64;

    /// <summary>
    /// Whether a writer's close changes the file: blocks written or sent to a file server, the length
    /// set or grown, or stripe positions that become (or stop being) stale.
    /// </summary>
    private static bool Wrote(CloseRequest request, FileNode current, IReadOnlyList<BlockRange> dirty, HashSet<int> written, StaleChange stale) =>
        dirty.Count > 0 || written.Count > 0 || request.SizeExact || request.Size > current.Size
        || !stale.Apply(current.StalePositions).ToHashSet().SetEquals(current.StalePositions);

    private static HashSet<int> Positions(IEnumerable<int> requested, FileNode file, string what)
    {
        var positions = new HashSet<int>();
        foreach (var position in requested)
        {
            if (position < 0 || position >= file.Positions)
            {
                throw MetaException.InvalidArgument(
                    $"{what} {position} is not a stripe position of file {file.Id} (width {file.StripeWidth}, parity {file.ParityBlocks})");
            }

            positions.Add(position);
        }

        return positions;
    }

    private int PublishInvalidate(FileNode file, string name, IReadOnlyList<BlockRange> dirty, string writerClientId)
    {
        using var activity = MetaServerTelemetry.Source.StartActivity("pfs.meta.invalidate");
        activity?.SetTag("pfs.file.name", name);
        activity?.SetTag("pfs.invalidate.ranges", dirty.Count);

        // One payload for all: each subscriber gets its own Notice (its own seq) around it, and nobody mutates it.
        var invalidate = new Invalidate
        {
            Name = name,
            FileId = file.Id,
            Blocks = { dirty },
            Version = file.Version,
            Size = file.Size,
        };
        // A scoped subscriber hears of it only through a name of the file in its scope.
        var recipients = _sessions.Broadcast(() => new Notice { Invalidate = invalidate }, writerClientId, paths: () => _names.PathsOf(file.Id));
        activity?.SetTag("pfs.invalidate.recipients", recipients);
        return recipients;
    }

    /// <summary>The most bytes a file can hold: each of its data servers holds at most one object's limit of it.</summary>
    private static long FileCapacity(FileNode file) =>
        file.StripeWidth > long.MaxValue / PfsLimits.MaxObjectBytes ? long.MaxValue : file.StripeWidth * PfsLimits.MaxObjectBytes;

    [LoggerMessage(EventId = 102, EventName = "StaleBeyondParity", Level = LogLevel.Error, Message = "'{Name}' now has {Count} stale positions, more than its {Parity} parity blocks cover: some of its bytes may be lost")]
    private static partial void LogBeyondParity(ILogger logger, string name, int count, int parity);
}
